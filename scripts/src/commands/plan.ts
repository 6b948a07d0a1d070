import { ConfigError, loadStackConfig, planStack } from "@inference-fleet/fleet-config";
import { defineCommand, UsageError } from "../command.js";
import { findAwsCredentialSource, processEnvironment } from "../matrix/preflight.js";
import { renderPlan } from "../plan/render-plan.js";

export const plan = defineCommand({
  path: ["plan"],
  summary: "What `pulumi up` would create for a stack and whether it will run: node fit, images, quotas, cost (no cloud account needed).",
  details: `Per node group: instance type, count, architecture, AMI type, allocatable CPU, memory, pods and devices as EKS
computes them, minus every DaemonSet the program installs, then the pods that must land there. Exit code 0 when
everything fits, 1 with each shortfall in numbers and the config field to change.
With --check-quotas (AWS credentials needed) it also reads the account's Service Quotas and fails on any too low.

Examples:
  fleet plan --stack c7g
  FLEET_SERVER_NUM_SERVERS=8 fleet plan --stack c7i --json
  fleet plan --stack g5 --check-quotas`,
  options: {
    stack: { type: "string", valueName: "NAME", description: "Stack to plan (dev, c7i, c7g, g5, inf2, ...)." },
    json: { type: "boolean", description: "Print the plan as JSON (node groups, allocatable, pods, fits, quotas, usdPerHour)." },
    "check-quotas": { type: "boolean", description: "Compare the account's applied Service Quotas with what the stack needs." },
  },
  async run({ values }) {
    if (!values.stack) throw new UsageError("--stack is required, e.g. --stack c7g.");
    let config;
    try {
      config = loadStackConfig(values.stack);
    } catch (error) {
      if (error instanceof ConfigError) {
        console.error(error.message);
        return 1;
      }
      throw error;
    }
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
