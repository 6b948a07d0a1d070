/**
 * The AWS Load Balancer Controller (aws/eks-charts stable/aws-load-balancer-controller 3.5.0, image
 * v3.5.0) and the load balancer in front of the servers: an NLB Service or an ALB Ingress, internal
 * unless server.internetFacing.
 */
import type * as k8s from "@pulumi/kubernetes";
import { LOAD_BALANCER_CONTROLLER_REPLICAS, LOAD_BALANCER_CONTROLLER_RESOURCES, type FleetConfig } from "@inference-fleet/fleet-config";
import { LABELS, PART_OF } from "../constants.js";
import { serverLabels, usesOwnImage } from "./server-pod.js";
import { containerResources } from "./container-resources.js";

type Metadata = k8s.types.input.meta.v1.ObjectMeta;

export const LOAD_BALANCER_CONTROLLER = {
  chart: "aws-load-balancer-controller",
  repository: "https://aws.github.io/eks-charts",
  version: "3.5.0",
  /** The IAM policy file in infra/iam/ that matches this version. */
  policyVersion: "v3.5.0",
  namespace: "kube-system",
  serviceAccount: "aws-load-balancer-controller",
} as const;

/** The Service and Ingress name of the load balancer in front of every server. */
export const LOAD_BALANCER_NAME = "model-servers";

/**
 * Marks a load balancer the stack config allowed to be internet-facing (server.internetFacing); the
 * policy pack refuses an internet-facing one without it.
 */
export const INTERNET_FACING_ALLOWED = "inference-fleet.io/internet-facing-allowed-by";

/**
 * The chart's values. Nodes require IMDSv2 with hop limit 1, so the controller cannot read the VPC
 * and region from instance metadata: both are given (the chart's vpcId and region exist for this).
 */
export function loadBalancerControllerValues(clusterName: string, region: string, vpcId: string): Record<string, unknown> {
  return {
    clusterName,
    region,
    vpcId,
    replicaCount: LOAD_BALANCER_CONTROLLER_REPLICAS,
    serviceAccount: { create: true, name: LOAD_BALANCER_CONTROLLER.serviceAccount },
    nodeSelector: { [LABELS.nodeRole]: "system" },
    resources: containerResources(LOAD_BALANCER_CONTROLLER_RESOURCES),
    defaultLoadBalancerScheme: "internal",
    defaultTargetType: "ip",
  };
}

const scheme = (config: FleetConfig) => (config.server.internetFacing ? "internet-facing" : "internal");
const allowedMark = (config: FleetConfig): Record<string, string> =>
  config.server.internetFacing ? { [INTERNET_FACING_ALLOWED]: "server.internetFacing" } : {};
const allServers = (config: FleetConfig) => serverLabels(config);

/** The readiness route the load balancer health-checks (the servers' own, or `/` for an external seed-compatible image). */
function healthPath(config: FleetConfig): string {
  return usesOwnImage(config) ? "/v2/health/ready" : "/";
}

/** nlb: a LoadBalancer Service the controller serves (loadBalancerClass), IP targets, health checks on readiness. */
export function buildNlbService(config: FleetConfig, namespace: string): { metadata: Metadata; spec: k8s.types.input.core.v1.ServiceSpec } {
  return {
    metadata: {
      name: LOAD_BALANCER_NAME,
      namespace,
      labels: { [LABELS.partOf]: PART_OF },
      annotations: {
        "service.beta.kubernetes.io/aws-load-balancer-scheme": scheme(config),
        "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
        "service.beta.kubernetes.io/aws-load-balancer-healthcheck-protocol": "HTTP",
        "service.beta.kubernetes.io/aws-load-balancer-healthcheck-path": healthPath(config),
        ...allowedMark(config),
      },
    },
    spec: {
      type: "LoadBalancer",
      loadBalancerClass: "service.k8s.aws/nlb",
      selector: allServers(config),
      ports: [{ name: "http", port: config.server.port, targetPort: "http", protocol: "TCP" }],
    },
  };
}

/** alb: a ClusterIP Service over every server and an Ingress (class alb) with health checks on readiness. */
export function buildAlbObjects(
  config: FleetConfig,
  namespace: string,
): {
  service: { metadata: Metadata; spec: k8s.types.input.core.v1.ServiceSpec };
  ingress: { metadata: Metadata; spec: k8s.types.input.networking.v1.IngressSpec };
} {
  const metadata = { name: LOAD_BALANCER_NAME, namespace, labels: { [LABELS.partOf]: PART_OF } };
  return {
    service: {
      metadata,
      spec: { type: "ClusterIP", selector: allServers(config), ports: [{ name: "http", port: config.server.port, targetPort: "http", protocol: "TCP" }] },
    },
    ingress: {
      metadata: {
        ...metadata,
        annotations: {
          "alb.ingress.kubernetes.io/scheme": scheme(config),
          "alb.ingress.kubernetes.io/target-type": "ip",
          "alb.ingress.kubernetes.io/healthcheck-path": healthPath(config),
          "alb.ingress.kubernetes.io/listen-ports": JSON.stringify([{ HTTP: config.server.port }]),
          ...allowedMark(config),
        },
      },
      spec: {
        ingressClassName: "alb",
        rules: [
          { http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: LOAD_BALANCER_NAME, port: { number: config.server.port } } } }] } },
        ],
      },
    },
  };
}
