import { defineCommand } from "../command.js";
import { recommendMain } from "../recommend/recommend-main.js";

export const recommend = defineCommand({
  path: ["recommend"],
  summary: "The cheapest fleet that serves a hub model at a latency SLO and rate: every candidate instance type and precision measured, sized, ranked.",
  details: `One call for what takes five tools by hand: the model is imported (at its commit); for each candidate instance
type (default: every catalog family with a template stack in stacks/, c7i, c7g, g5 and inf2 as shipped; or --types)
and precision, a stack is generated from one template (stacks/Pulumi.<family>-tuned.yaml, \`fleet tune\`'s last
result, else stacks/Pulumi.<family>.yaml: its server settings) and checked with \`fleet plan\`; candidates over the
account's quotas, that do not fit their nodes (or whose servers cannot hold the model's weights), or int8 on a
GPU/Inferentia type are left out with the reason. The search's cost is printed before it starts (--max-usd refuses
a dearer one before any \`pulumi up\`). Each candidate's capacity per node at the SLO is then measured (\`fleet
matrix\` on AWS; with --local, the \`fleet local --capacity\` search on this machine, labelled as such), sized for
--rate with headroom (\`fleet plan --for-rate\`), and ranked by $/month. Candidates that cannot meet the SLO at any
load say why (latency floor above the SLO, errors).

Written: the answer (printed), results/recommend-<time>/ (summary.md, report.html with every candidate's curve on
shared axes, one results file per candidate), and the winner as stacks/Pulumi.<model>-recommended.yaml (schema- and
plan-checked; \`pulumi up --stack <model>-recommended\` deploys it). Stack files recommend writes carry a
"fleet-recommend-generated" line; a file without it is yours and is never written over (a new name is taken).

Resumable: each candidate's measurement is saved under .cache/recommend/<key>/ as it completes; the next run with the
same inputs reuses it (and says so) and measures only what is missing or stale (another model commit, server version,
template setting or machine). The rate is not part of the key: another --rate re-ranks without measuring.

Examples:
  fleet recommend --model hf://deepset/bert-base-cased-squad2 --slo 'p90<=50ms' --rate 5000 --max-usd 20
  fleet recommend --model hf://ORG/NAME@v1 --slo 'p90<=50ms' --rate 5000 --types c7i,c7g --precision fp32,int8 --budget 90m
  fleet recommend --model hf://ORG/NAME --slo 'p90<=100ms' --rate 2000 --local --precision fp32,int8`,
  options: {
    model: { type: "string", valueName: "HF_ID", description: "The model: hf://ORG/NAME[@REVISION]." },
    slo: { type: "string", valueName: "SLO", description: "Latency target, e.g. 'p90<=50ms' (p50, p90, p95 or p99; quoted: < is a shell redirection)." },
    rate: { type: "string", valueName: "REQ_PER_S", description: "Requests per second the fleet must serve at the SLO." },
    types: {
      type: "string",
      valueName: "LIST",
      description: `Families or exact instance types, e.g. c7g,c7i.2xlarge (default: every family with a template stack).`,
    },
    precision: { type: "string", valueName: "LIST", description: "fp32 and/or int8, e.g. fp32,int8 (default: fp32)." },
    budget: {
      type: "string",
      valueName: "DURATION",
      description: "Load budget of the whole search, split over the candidates, e.g. 90m (default: each template's).",
    },
    headroom: {
      type: "string",
      valueName: "SHARE",
      description: "Capacity kept spare per node when sizing (default: the template's loadTest.sizing.headroom, 0.2).",
    },
    local: { type: "boolean", description: "Measure on this machine (the local CPU standing for one node; labelled as such) instead of on AWS." },
    "max-usd": { type: "string", valueName: "USD", description: "Refuse before any `pulumi up` when the search's estimated cost is higher." },
    out: { type: "string", valueName: "DIR", description: "Report folder (default: results/recommend-<timestamp>)." },
  },
  async run({ values }) {
    return (await recommendMain(values)).exitCode;
  },
});
