import { ConfigError, loadStackConfig, planStack } from "@inference-fleet/fleet-config";
import { defineCommand, UsageError } from "../command.js";
import { findAwsCredentialSource, processEnvironment } from "../matrix/preflight.js";
import { forRateOf, planForRate } from "../plan/plan-for-rate.js";
import { renderPlan } from "../plan/render-plan.js";

export const plan = defineCommand({
  path: ["plan"],
  summary: "What `pulumi up` would create for a stack and whether it will run: node fit, images, quotas, cost (no cloud account needed).",
  details: `Per node group: instance type, count, architecture, AMI type, allocatable CPU, memory, pods and devices as EKS
computes them, minus every DaemonSet the program installs, then the pods that must land there. Exit code 0 when
everything fits, 1 with each shortfall in numbers and the config field to change.
With --check-quotas (AWS credentials needed) it also reads the account's Service Quotas and fails on any too low.

With --for-rate R (or loadTest.sizing.forRate) it also sizes the fleet for R req/s at the stack's SLO from the
capacity per node measured by \`fleet matrix\` or \`fleet local --capacity\` (the newest results file of the stack under
results/, or --results): nodes = ceil(R / (capacity per node x (1 - headroom))), servers, $/hour and $/month.
Give several stacks (--stack c7g,c7i,g5) to rank them by $/month. Exit code 1 when a stack has no measurement,
naming the command that produces one.

Examples:
  fleet plan --stack c7g
  FLEET_SERVER_NUM_SERVERS=8 fleet plan --stack c7i --json
  fleet plan --stack g5 --check-quotas
  fleet plan --stack c7g --for-rate 5000
  fleet plan --stack c7g,c7i,g5 --for-rate 5000 --headroom 0.3`,
  options: {
    stack: { type: "string", valueName: "NAME", description: "Stack to plan (dev, c7i, c7g, g5, inf2, ...)." },
    json: { type: "boolean", description: "Print the plan as JSON (node groups, allocatable, pods, fits, quotas, usdPerHour)." },
    "check-quotas": { type: "boolean", description: "Compare the account's applied Service Quotas with what the stack needs." },
    "for-rate": { type: "string", valueName: "REQ_PER_S", description: "Size the fleet for this many req/s at the SLO from the measured capacity per node." },
    headroom: { type: "string", valueName: "SHARE", description: "With --for-rate: capacity kept spare per node (default loadTest.sizing.headroom, 0.2)." },
    results: { type: "string", valueName: "PATH", description: "With --for-rate: a results folder or file to read the capacity from (default results/)." },
  },
  async run({ values }) {
    if (!values.stack) throw new UsageError("--stack is required, e.g. --stack c7g.");
    const stacks = values.stack.split(",").map((s) => s.trim());
    let configs;
    try {
      configs = stacks.map((stack) => loadStackConfig(stack));
    } catch (error) {
      if (error instanceof ConfigError) {
        console.error(error.message);
        return 1;
      }
      throw error;
    }
    const sizing = { forRate: values["for-rate"], headroom: values.headroom, results: values.results };
    if (stacks.length > 1 || configs.some((c) => forRateOf(sizing, c) !== undefined)) {
      if (values["check-quotas"]) throw new UsageError("--check-quotas plans one stack: run it without --for-rate.");
      const outcome = await planForRate(configs, sizing);
      const fits = configs.map(planStack).filter((p) => !p.fits);
      const notFitting = fits.map((p) => `Stack ${p.stack} does NOT fit as configured: run \`fleet plan --stack ${p.stack}\` for the shortfall.`);
      if (values.json) console.log(JSON.stringify({ sizings: outcome.sizings, missing: outcome.missing }, null, 2));
      else console.log([outcome.text, ...notFitting].join("\n\n"));
      return outcome.missing.length === 0 && fits.length === 0 ? 0 : 1;
    }
    const config = configs[0]!;
    const result = planStack(config);
    let quotaProblems: string[] = [];
    let quotaChecks: unknown;
    if (values["check-quotas"]) {
      if (!findAwsCredentialSource(processEnvironment())) {
        throw new Error(
          "--check-quotas needs AWS credentials and found none: run `aws configure` or `aws sso login` and export AWS_PROFILE, or drop --check-quotas.",
        );
      }
      const { checkQuotas, describeQuotaShortfalls, serviceQuotasClient } = await import("../plan/quota-check.js");
      const checks = await checkQuotas(result.quotas, serviceQuotasClient(config.region));
      quotaChecks = checks.map((check) => ({ ...check.quota, value: check.value, ok: check.ok }));
      quotaProblems = describeQuotaShortfalls(checks, config.region);
    }
    if (values.json) {
      console.log(JSON.stringify({ ...result, ...(quotaChecks ? { quotaChecks } : {}) }, null, 2));
    } else {
      console.log(renderPlan(result));
      if (values["check-quotas"])
        console.log(
          quotaProblems.length === 0
            ? "\nService Quotas: every one is high enough."
            : `\nService Quotas too low:\n${quotaProblems.map((p) => `  - ${p}`).join("\n")}`,
        );
    }
    return result.fits && quotaProblems.length === 0 ? 0 : 1;
  },
});
