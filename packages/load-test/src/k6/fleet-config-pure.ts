// What the k6 bundle takes from @inference-fleet/fleet-config: only pure modules, because the
// package entry also holds Node-only loaders. bundleK6Script and src/k6/tsconfig.json alias the
// package to this file; Node code and tests import the package entry itself.
export { parseDurationSeconds } from "../../../fleet-config/src/duration.js";
export { shardOwner } from "../../../fleet-config/src/shard.js";
export { DEFAULT_CONTEXT, DEFAULT_QUESTION } from "../../../fleet-config/src/sample-request.js";
export type { Slo } from "../../../fleet-config/src/slo.js";
