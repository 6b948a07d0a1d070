export {
  getInstanceType,
  isKnownInstanceType,
  knownInstanceTypes,
  NETWORK_SOURCE,
  PRICE_SOURCE,
  unknownInstanceTypeHint,
  usdPerMillionInferences,
  vcpuQuotaFamily,
  type AcceleratorFacts,
  type CpuFacts,
  type InstanceTypeFacts,
  type VcpuQuotaFamily,
} from "./catalog.js";
export { parseAssumedRoleArn } from "./arn.js";
export { HOURS_PER_MONTH, usdPerMillionAt, usdPerMonth } from "./cost.js";
export { closestNames, didYouMean } from "./closest.js";
export { ConfigError, type ConfigProblem } from "./config-error.js";
export { parseDurationSeconds } from "./duration.js";
export { applyEnvOverrides, envNameFor, ENV_PREFIX } from "./env-overrides.js";
export { parseFleetConfig } from "./parse.js";
export { DEFAULT_CONTEXT, DEFAULT_QUESTION } from "./sample-request.js";
export {
  clusterSchema,
  defaultWarmupSeconds,
  fleetConfigObjectSchema,
  fleetConfigSchema,
  loadTestSchema,
  modelSchema,
  PROJECT,
  serverSchema,
  type ClusterConfig,
  type FleetConfig,
  type FleetConfigInput,
  type LoadTestConfig,
  type ModelConfig,
  type ObservabilityConfig,
  type ServerConfig,
} from "./schema.js";
export {
  DEFAULT_SLO,
  describeSlo,
  describeSloInFull,
  figuresMeetSlo,
  parseSloLabel,
  sloLabel,
  sloOfStack,
  stackSloSchema,
  type Slo,
  type SloFigures,
} from "./slo.js";
export { fnv1a32, modelsForShard, repositoryModelNames, shardOwner } from "./shard.js";
export { defaultStacksDir, fromNamespacedConfig, listStacks, loadStackConfig, type LoadStackOptions } from "./stack-file.js";
export * from "./plan/index.js";
