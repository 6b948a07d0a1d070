import { envNameFor } from "@inference-fleet/fleet-config";
import { defineCommand } from "../command.js";
import { localMain } from "../local/local-main.js";
import { priceOptions } from "./price-options.js";

export const local = defineCommand({
  path: ["local"],
  summary: "Run a stack's fleet and load test on this machine (loopback, no cloud) and write results/<stack>-<timestamp>/.",
  details: `Reads stacks/Pulumi.<stack>.yaml like the cloud does, generates the model if it is missing, starts
server.numServers model servers on 127.0.0.1 (server.numModels models each), runs the configured load test,
stops the servers, and writes results.json, summary.md (also printed) and report.html.
Ctrl-C stops the load test and the servers; the results so far are written.
Environment variables override fields, e.g. ${envNameFor("loadTest.duration")}=5s ${envNameFor("server.numServers")}=1.

--capacity searches the arrival rate for the capacity at the stack's SLO instead (like loadTest.mode: capacity):
open-loop steps of the built-in generator (each with a warm-up left out, then windows that must agree within
loadTest.capacity.stability), doubling from loadTest.capacity.startRate until the SLO breaks (percentile over the
threshold, errors over the budget, or achieved < 95% of offered; a break is measured again before it is believed),
then bisecting to --precision, never past --budget (server start-up included). Then the rate found is held for
loadTest.capacity.confirmSeconds (60 s), 5% lower while it breaks: the capacity reported is the rate that held,
with its windows' spread. results.json holds capacityAtSlo and every step, window and hold with its histogram;
the summary and report.html lead with the verdict and draw the curve with the SLO line.

--autoscale starts server.autoscaling.minReplicas servers and runs the stack's ramp (loadTest.ramp: open loop
rising from startRate to maxRate over the duration; or loadTest.rate in mode rate) while a loop applies the
cluster's HPA rule every server.autoscaling.interval: servers = ceil(servers x mean queue depth / target), within
minReplicas..maxReplicas, scale-down held to the highest recommendation of scaleDownStabilizationSeconds (at
most 10 s locally). New
servers take load once ready; a server leaves by draining (no new requests, in-flight ones finish). After the ramp
it keeps deciding with no load, load, so the scale-down shows. The report draws replicas over time beside the latency percentiles and the SLO.

Cost: this machine is no EC2 instance, so a local run is priced only when you say what it stands for:
--as c7i.large (the catalog's on-demand price) or --usd-per-hour 0.17; USD per million inferences is then
priced at the capacity (or the measured throughput). Without either the report says why there is no cost.

Examples:
  fleet local --stack dev              (what \`npm start\` runs)
  fleet local --compare dev,dev-no-batching,dev-fixed-padding   (batching and padding on this machine, one report)
  fleet local --stack dev --capacity --budget 3m --as c7i.large
  FLEET_LOAD_TEST_RAMP_START_RATE=50 FLEET_LOAD_TEST_RAMP_MAX_RATE=800 fleet local --stack dev --autoscale`,
  options: {
    stack: { type: "string", valueName: "NAME", description: "Stack to run (dev, c7i, c7g, ...)." },
    compare: { type: "string", valueName: "LIST", description: "Comma-separated stacks to run one after another and compare." },
    generator: { type: "string", valueName: "KIND", default: "auto", description: "auto (k6 when on PATH, else built-in), local or k6." },
    out: { type: "string", valueName: "DIR", description: "Results folder (default: results/<stack>-<timestamp>)." },
    capacity: { type: "boolean", description: "Search the arrival rate for the capacity at the SLO (built-in generator)." },
    autoscale: { type: "boolean", description: "Start server.autoscaling.minReplicas servers and scale them by the HPA rule under the ramp." },
    budget: {
      type: "string",
      valueName: "DURATION",
      description: "Capacity search: time budget, e.g. 3m (default loadTest.capacity.budget, 110s; the confirmation comes after).",
    },
    precision: { type: "string", valueName: "SHARE", description: "Capacity search: stop when the bracket is within this share (default 0.05)." },
    ...priceOptions,
  },
  async run({ values }) {
    return localMain({
      stack: values.stack,
      compare: values.compare,
      generator: values.generator,
      out: values.out,
      capacity: values.capacity,
      autoscale: values.autoscale,
      budget: values.budget,
      precision: values.precision,
      as: values.as,
      usdPerHour: values["usd-per-hour"],
    });
  },
});
