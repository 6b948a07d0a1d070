import type * as k8s from "@pulumi/kubernetes";
import { LABELS, METRICS_PORT, POD_IDENTITY_AGENT_CIDR } from "../constants.js";

type NetworkPolicy = { metadata: k8s.types.input.meta.v1.ObjectMeta; spec: k8s.types.input.networking.v1.NetworkPolicySpec };

const namespaceNamed = (name: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } } });

/** Pods may resolve names through CoreDNS in kube-system, and nothing else by default. */
function allowDns(namespace: string): NetworkPolicy {
  return {
    metadata: { name: "allow-dns", namespace },
    spec: {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to: [{ ...namespaceNamed("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
      ],
    },
  };
}

function defaultDeny(namespace: string): NetworkPolicy {
  return { metadata: { name: "default-deny", namespace }, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } };
}

/**
 * AWS APIs (S3 through the VPC gateway endpoint, STS) on 443, and the Pod Identity agent for
 * credentials. S3's addresses are not fixed, so HTTPS egress cannot be narrowed further here.
 */
function allowAwsApis(namespace: string): NetworkPolicy {
  return {
    metadata: { name: "allow-aws-apis", namespace },
    spec: {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP", port: 443 }] },
        { to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT_CIDR } }], ports: [{ protocol: "TCP", port: 80 }] },
      ],
    },
  };
}

export interface FleetNetworkArgs {
  readonly fleetNamespace: string;
  readonly loadTestNamespace: string;
  readonly serverPort: number;
  /** Pod labels of the model servers. */
  readonly serverLabels: Record<string, string>;
  /** Namespaces, by name, whose pods may scrape the metrics port too (the CloudWatch agent's). */
  readonly metricsScraperNamespaces?: readonly string[];
  /**
   * The VPC CIDR when a load balancer fronts the servers: its nodes (IP targets) reach the HTTP port
   * from there, and k6 reaches the load balancer there.
   */
  readonly loadBalancerCidr?: string;
}

/**
 * Default deny in both namespaces, then: DNS; AWS APIs; load-test pods to the servers' HTTP port;
 * namespaces labelled inference-fleet.io/scrape-metrics=true (and the named scraper namespaces) to the
 * metrics port; with a load balancer, the VPC CIDR to and from the HTTP port.
 */
export function buildNetworkPolicies(args: FleetNetworkArgs): NetworkPolicy[] {
  const { fleetNamespace, loadTestNamespace, serverPort, serverLabels } = args;
  const port = [{ protocol: "TCP", port: serverPort }];
  const fromLoadBalancer = args.loadBalancerCidr ? [{ from: [{ ipBlock: { cidr: args.loadBalancerCidr } }], ports: port }] : [];
  const toLoadBalancer = args.loadBalancerCidr ? [{ to: [{ ipBlock: { cidr: args.loadBalancerCidr } }], ports: port }] : [];
  const scrapers = (args.metricsScraperNamespaces ?? []).map(namespaceNamed);
  return [
    defaultDeny(fleetNamespace),
    allowDns(fleetNamespace),
    allowAwsApis(fleetNamespace),
    {
      metadata: { name: "allow-load-test", namespace: fleetNamespace },
      spec: {
        podSelector: { matchLabels: serverLabels },
        policyTypes: ["Ingress"],
        ingress: [{ from: [namespaceNamed(loadTestNamespace)], ports: port }, ...fromLoadBalancer],
      },
    },
    {
      metadata: { name: "allow-metrics-scrape", namespace: fleetNamespace },
      spec: {
        podSelector: { matchLabels: serverLabels },
        policyTypes: ["Ingress"],
        ingress: [
          { from: [{ namespaceSelector: { matchLabels: { [LABELS.scrapeMetrics]: "true" } } }, ...scrapers], ports: [{ protocol: "TCP", port: METRICS_PORT }] },
        ],
      },
    },
    defaultDeny(loadTestNamespace),
    allowDns(loadTestNamespace),
    allowAwsApis(loadTestNamespace),
    {
      metadata: { name: "allow-fleet", namespace: loadTestNamespace },
      spec: {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [{ to: [{ ...namespaceNamed(fleetNamespace), podSelector: { matchLabels: serverLabels } }], ports: port }, ...toLoadBalancer],
      },
    },
  ];
}
