export {
  CLUSTER_AUTOSCALER_RESOURCES,
  KEDA_RESOURCES,
  LOAD_BALANCER_CONTROLLER_REPLICAS,
  LOAD_BALANCER_CONTROLLER_RESOURCES,
  OBSERVABILITY_RESOURCES,
  PROMETHEUS_AGENT_RESOURCES,
} from "./add-on-workloads.js";
export { DEVICE_PLUGIN_RESOURCES, K6_RESOURCES, PRE_PULL_RESOURCES, RESULTS_UPLOAD_RESOURCES, serverDeviceRequests } from "./cluster-workloads.js";
export { fleetNodeBounds } from "./fleet-nodes.js";
export type { ContainerResources, PodRequest } from "./cluster-workloads.js";
export { estimateUsdPerHour, NAT_GATEWAY_USD_PER_GB } from "./cost.js";
export { describeKubernetesSupport, kubernetesVersionFacts } from "./kubernetes-versions.js";
export { amiTypeFor, IMAGES, platformFor, serverImagePlan, type AcceleratorKind } from "./images.js";
export { KERNEL_RESERVED_MEMORY_FRACTION, nodeAllocatable } from "./node-capacity.js";
export { executionProviderFor } from "./processor.js";
export { cpuMillis, formatCpu, formatMemory, memoryMiB } from "./quantity.js";
export { quotaNeeds, raiseQuotaCommand, VCPU_QUOTAS, type QuotaNeed } from "./quotas.js";
export { planStack, type NodeGroupPlan, type StackPlan } from "./stack-plan.js";
