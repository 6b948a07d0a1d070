import { defineCommand } from "../command.js";
import { DEFAULT_TUNE_BUDGET, tuneMain } from "../tune/tune-main.js";

export const tune = defineCommand({
  path: ["tune"],
  summary: "Search a stack's server settings for the largest capacity per node at its SLO, on this machine, and write the winner as a stack file.",
  details: `Tunes server.maxBatch, server.maxQueueDelayMs, server.inferenceWorkers x server.threads, servers per node (server.numServers,
with server.resources.cpu splitting the node's CPUs among them) and copies per server (server.numModels). Each candidate's
servers start on loopback and a short capacity search (the one \`fleet local --capacity\` runs) finds its capacity at the
stack's SLO; the node is this machine. Within --budget (start-ups included):
  1. a coarse grid at 20% precision: the shipped settings, then one setting changed at a time, each setting in turn;
  2. successive halving: the best coarse points again at 10%, with the points around the best and the best levels combined;
  3. the best point and the shipped settings measured again, one after the other, at the stack's precision (default 5%).
It prints a ranked table. When the best point beats the shipped settings by more than 5% in step 3, it writes
stacks/Pulumi.<stack>-tuned.yaml: the shipped stack file with only the tuned fields changed, a header naming the changes,
the machine and the figures. That file is a stack of its own: measure both again with
\`fleet local --compare <stack>,<stack>-tuned --capacity\`, deploy it with \`pulumi up --stack <stack>-tuned\`, or copy the changed
lines into the shipped file. Otherwise it says the shipped settings were best and writes nothing.
On a cluster, \`fleet matrix --tune\` tunes each stack on its own nodes.

Examples:
  fleet tune --stack dev                  (5 minutes)
  fleet tune --stack dev --budget 10m
  fleet tune --stack dev --budget 90s --candidates 2   (the shipped settings and one more, then the final two)`,
  options: {
    stack: { type: "string", valueName: "NAME", description: "Stack to tune (dev, dev-no-batching, ...)." },
    budget: { type: "string", valueName: "DURATION", default: DEFAULT_TUNE_BUDGET, description: "The whole run's time budget, servers' start-ups included." },
    candidates: {
      type: "string",
      valueName: "N",
      description: "Measure at most N coarse grid points and skip the refinement (default: as many as the budget allows).",
    },
  },
  async run({ values }) {
    return tuneMain({ stack: values.stack, budget: values.budget, candidates: values.candidates });
  },
});
