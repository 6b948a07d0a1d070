/** Ports, labels and images shared by the components; each fact lives here once. */

/** The model server's Prometheus /metrics port (its HTTP port comes from the config's server.port). */
export const METRICS_PORT = 9090;

/** Label keys the components put on nodes, pods and namespaces. */
export const LABELS = {
  app: "app.kubernetes.io/name",
  instance: "app.kubernetes.io/instance",
  partOf: "app.kubernetes.io/part-of",
  /** Node label: "system" (add-ons, load generators) or "fleet" (model servers). */
  nodeRole: "inference-fleet.io/role",
  /** Namespace label that lets pods in it scrape the fleet's metrics port. */
  scrapeMetrics: "inference-fleet.io/scrape-metrics",
  instanceType: "node.kubernetes.io/instance-type",
} as const;

export const PART_OF = "inference-fleet";
export const SERVER_APP = "model-server";
export const LOAD_TEST_APP = "k6";

/**
 * Every fleet node carries this taint, so only fleet pods (which tolerate it) land there and
 * a benchmark never shares its nodes with add-ons or load generators.
 */
export const FLEET_TAINT_KEY = "inference-fleet.io/dedicated";

/** Third-party images, pinned in fleet-config (where `fleet plan` lists them). */
export { IMAGES } from "@inference-fleet/fleet-config";

/** The EKS Pod Identity agent answers credential requests here (hostNetwork, port 80). */
export const POD_IDENTITY_AGENT_CIDR = "169.254.170.23/32";

/** The VPC's address range; private subnets for nodes are carved from it. */
export const VPC_CIDR = "10.0.0.0/16";

/** UID the containers run as when the image does not set a non-root user itself. */
export const NON_ROOT_UID = 65532;
