export { getInstanceType, isKnownInstanceType, knownInstanceTypes, NETWORK_SOURCE, PRICE_SOURCE, usdPerMillionInferences } from "./catalog.js";
export { parseAssumedRoleArn } from "./arn.js";
export {
  desiredReplicas,
  desiredReplicasOfMetrics,
  HPA_TOLERANCE,
  queueDepthTarget,
  requestRateTarget,
  serverReplicas,
  stabilizeReplicas,
  type Recommendation,
} from "./autoscaling.js";
export { didYouMean } from "./closest.js";
export { HOURS_PER_MONTH, usdPerMillionAt, usdPerMonth } from "./cost.js";
export { ConfigError, type ConfigProblem } from "./config-error.js";
export { parseDurationSeconds } from "./duration.js";
export { applyEnvOverrides, envNameFor } from "./env-overrides.js";
export { parseFleetConfig } from "./parse.js";
export { DEFAULT_CONTEXT, DEFAULT_QUESTION } from "./sample-request.js";
export { INFERENCE_ROUTES, SERVER_METRIC_NAMES } from "./server-metric-names.js";
export {
  defaultWarmupSeconds,
  fleetConfigObjectSchema,
  modelSchema,
  PROJECT,
  serverSchema,
  type ClusterConfig,
  type FleetConfig,
  type FleetConfigInput,
} from "./schema.js";
export { DEFAULT_SLO, describeSlo, describeSloInFull, figuresMeetSlo, parseSloLabel, sloLabel, sloOfStack, stackSloSchema, type Slo } from "./slo.js";
export { modelsForShard, repositoryModelNames, shardOwner } from "./shard.js";
export { defaultStacksDir, fromNamespacedConfig, listStacks, loadStackConfig } from "./stack-file.js";
export * from "./plan/index.js";
