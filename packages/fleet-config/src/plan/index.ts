export {
  ADD_ON_SOURCES,
  addOnPods,
  CLUSTER_AUTOSCALER_RESOURCES,
  KEDA_COMPONENTS,
  KEDA_RESOURCES,
  LOAD_BALANCER_CONTROLLER_REPLICAS,
  LOAD_BALANCER_CONTROLLER_RESOURCES,
  OBSERVABILITY_RESOURCES,
  PROMETHEUS_AGENT_RESOURCES,
  type AddOnPod,
} from "./add-on-workloads.js";
export {
  clusterWorkloads,
  COREDNS_PODS,
  DEVICE_PLUGIN_RESOURCES,
  EKS_DAEMONSETS,
  K6_RESOURCES,
  PRE_PULL_RESOURCES,
  RESULTS_UPLOAD_RESOURCES,
  serverDeviceRequests,
  serverPods,
} from "./cluster-workloads.js";
export { fleetNodeBounds, type FleetNodeBounds } from "./fleet-nodes.js";
export type { ContainerResources, NodeGroupWorkloads, PodRequest } from "./cluster-workloads.js";
export { estimateUsdPerHour, NAT_GATEWAY_USD_PER_GB, NAT_GATEWAY_USD_PER_HOUR, type HourlyCost } from "./cost.js";
export {
  DEFAULT_KUBERNETES_VERSION,
  describeKubernetesSupport,
  EKS_EXTENDED_SUPPORT_USD_PER_HOUR,
  EKS_STANDARD_SUPPORT_USD_PER_HOUR,
  isKnownKubernetesVersion,
  KUBERNETES_VERSIONS,
  KUBERNETES_VERSIONS_SOURCE,
  kubernetesSupport,
  kubernetesVersionFacts,
  type KubernetesSupport,
  type KubernetesVersionFacts,
} from "./kubernetes-versions.js";
export { fitsIn, placePods, type GroupPlacement, type NodeFree, type NodePlacement, type UnplacedPod } from "./fit.js";
export {
  amiTypeFor,
  IMAGES,
  isPlaceholderImage,
  platformFor,
  SERVER_DOCKERFILES,
  serverImagePlan,
  type AcceleratorKind,
  type Arch,
  type ServerImagePlan,
} from "./images.js";
export {
  DEVICE_RESOURCE,
  eniMaxPods,
  EVICTION_HARD_MEMORY_MIB,
  KERNEL_RESERVED_MEMORY_FRACTION,
  kubeReservedCpuMillis,
  kubeReservedMemoryMiB,
  managedNodeGroupPodCap,
  nodeAllocatable,
  type NodeAllocatable,
} from "./node-capacity.js";
export { executionProviderFor, serverImageVariantFor, type ExecutionProvider, type Processor } from "./processor.js";
export { cpuMillis, formatCpu, formatMemory, memoryMiB } from "./quantity.js";
export {
  ELASTIC_IP_QUOTA,
  INTERNET_GATEWAY_QUOTA,
  natGatewayCount,
  quotaNeeds,
  raiseQuotaCommand,
  sumQuotaNeeds,
  VCPU_QUOTAS,
  VPC_QUOTA,
  type QuotaNeed,
} from "./quotas.js";
export { assertStackRuns, planStack, type ImagePlan, type NodeGroupPlan, type RolloutPlan, type StackPlan } from "./stack-plan.js";
