// @inference-fleet/model-server/settings: the server's settings and the fleet-config -> environment
// mapping, for programs that configure servers without running one (the Pulumi program, fleet local).
// Its imports must never reach onnxruntime-node, hono or the AWS SDK (settings-entry.test.ts checks).
export { deriveConcurrency, describeConcurrency, serverConcurrency, type Concurrency, type ConcurrencyInput } from "./config/concurrency.js";
export { hostCpuProbe, parseCpuMax, readCpuBudget, type CpuBudget, type CpuBudgetSource, type CpuProbe } from "./config/cpu-budget.js";
export { drainTimeoutMs, fleetServerEnvironment, type ServerPlacement } from "./config/fleet-environment.js";
export {
  resolveServerSettings,
  serverSettingsSchema,
  SETTINGS_ENV,
  type ServerSettings,
  type ServerSettingsInput,
  type SettingsFlags,
} from "./config/settings.js";
export { modelPrecision } from "./model/model-precision.js";
export { hasMallocTunables, MALLOC_TUNABLES, rerunWithMallocTunables, withMallocTunables } from "./process/malloc-tunables.js";
