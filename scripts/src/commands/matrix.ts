import { defineCommand, UsageError } from "../command.js";
import { matrixMain } from "../matrix/matrix-main.js";
import { DEFAULT_CLUSTER_TUNE_BUDGET, tuneMatrixMain } from "../tune/cluster/tune-matrix-main.js";

export const matrix = defineCommand({
  path: ["matrix"],
  summary: "Deploy stacks on AWS with the Pulumi Automation API, load-test each in-cluster, compare cost and latency, destroy.",
  details: `First, with nothing created: the tools and credentials, \`fleet plan\` for every stack (pods fit, no placeholder image), the
quotas of the stacks that run at once (AWS defaults, or the account's with --check-quotas), and the model dirs (generated when
missing). Then per stack: pulumi up with the policy pack, wait for the k6 load-test Job, collect and merge its results from S3, pulumi destroy
(also when a step failed, unless --keep). Then one report across instance types: throughput, p50/p90/p99,
USD per hour and per million inferences, and the cheapest instance type that meets the SLO of the first stack.
Needs the Pulumi CLI (logged in), AWS credentials, a running Docker engine and kubectl; it checks them first.

--tune runs \`fleet tune\`'s search on each stack's own nodes instead: the stack is brought up once with its shipped
settings, then redeployed once per candidate (server settings as FLEET_* overrides of that pulumi up only: the
server Deployment rolls and a new k6 capacity Job measures it), within --tune-budget per stack; the winner is written
as stacks/Pulumi.<stack>-tuned.yaml when it beats the shipped settings measured again. One fleet redeployed, not
candidates side by side: capacity per node means a candidate has the node to itself, and side-by-side candidates
would share nodes or need a node group each.

Examples:
  fleet matrix --stacks c7i,c7g,g5,inf2 --parallel 2
  fleet matrix --stacks c7g --preview-only
  fleet matrix --stacks c7i,c7g --tune --tune-budget 45m`,
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
    tune: { type: "boolean", description: "Search each stack's server settings for the largest capacity per node on its own nodes (see above)." },
    "tune-budget": { type: "string", valueName: "DURATION", default: DEFAULT_CLUSTER_TUNE_BUDGET, description: "--tune: per stack, once it is up." },
  },
  async run({ values }) {
    if (!values.stacks) throw new UsageError("--stacks is required, e.g. --stacks c7i,c7g.");
    if (values.tune) {
      if (values["preview-only"]) throw new UsageError("--tune deploys and measures: drop --preview-only.");
      return tuneMatrixMain({
        stacks: values.stacks,
        parallel: values.parallel ?? "1",
        tuneBudget: values["tune-budget"] ?? DEFAULT_CLUSTER_TUNE_BUDGET,
        keep: values.keep,
        endpointCidr: values["endpoint-cidr"],
        checkQuotas: values["check-quotas"],
      });
    }
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
