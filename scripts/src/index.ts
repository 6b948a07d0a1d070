// What the benchmarks in bench/ reuse of the CLI's local runner (the CLI itself is scripts/bin/fleet.js).
export { capacitySettings, describeStep, runCapacitySearch, runCapacityStep } from "./local/capacity-run.js";
export { ensureModel } from "./local/ensure-model.js";
export { runLabels } from "./local/run-local.js";
export { startServerFleet } from "./local/server-fleet.js";
export { runAutoscaledLoad } from "./local/autoscale/autoscaled-run.js";
export { compareModels, type CompareReport } from "./model-tools/compare-models.js";
