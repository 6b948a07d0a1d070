import { defineCommand, UsageError } from "../command.js";
import { matrixMain } from "../matrix/matrix-main.js";

export const matrix = defineCommand({
  path: ["matrix"],
  summary: "Deploy stacks on AWS with the Pulumi Automation API, load-test each in-cluster, compare cost and latency, destroy.",
  details: `First, with nothing created: the tools and credentials, \`fleet plan\` for every stack (pods fit, no placeholder image), the
quotas of the stacks that run at once (AWS defaults, or the account's with --check-quotas), and the model dirs (generated when
missing). Then per stack: pulumi up with the policy pack, wait for the k6 load-test Job, collect and merge its results from S3, pulumi destroy
(also when a step failed, unless --keep). Then one report across instance types: throughput, p50/p90/p99,
USD per hour and per million inferences, and the cheapest instance type that meets the SLO of the first stack.
Needs the Pulumi CLI (logged in), AWS credentials, a running Docker engine and kubectl; it checks them first.

Examples:
  fleet matrix --stacks c7i,c7g,g5,inf2 --parallel 2
  fleet matrix --stacks c7g --preview-only`,
  options: {
    stacks: { type: "string", valueName: "LIST", description: "Comma-separated stacks from stacks/, e.g. c7i,c7g,g5,inf2." },
    keep: { type: "boolean", description: "Leave the stacks up afterwards (they keep costing money)." },
    "preview-only": { type: "boolean", description: "Only run pulumi preview for each stack; nothing is created." },
    parallel: { type: "string", valueName: "N", default: "1", description: "Stacks deployed at the same time." },
    out: { type: "string", valueName: "DIR", description: "Report folder (default: results/matrix-<timestamp>)." },
    "wait-timeout": { type: "string", valueName: "DURATION", default: "30m", description: "Per stack, how long the load-test Job may run." },
    "endpoint-cidr": {
      type: "string",
      valueName: "CIDR",
      default: "auto",
      description: "Who may reach the cluster API of stacks that list no publicAccessCidrs: auto (this machine's public IPv4 as a /32) or a CIDR.",
    },
    "check-quotas": { type: "boolean", description: "Read the account's Service Quotas and check what the stacks running at once need." },
  },
  async run({ values }) {
    if (!values.stacks) throw new UsageError("--stacks is required, e.g. --stacks c7i,c7g.");
    return matrixMain({
      stacks: values.stacks,
      keep: values.keep,
      previewOnly: values["preview-only"],
      parallel: values.parallel ?? "1",
      out: values.out,
      waitTimeout: values["wait-timeout"] ?? "30m",
      endpointCidr: values["endpoint-cidr"],
      checkQuotas: values["check-quotas"],
    });
  },
});
