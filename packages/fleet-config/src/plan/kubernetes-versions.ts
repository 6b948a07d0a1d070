/**
 * The EKS Kubernetes versions a stack may ask for: how long each is in standard support (control plane $0.10/h)
 * and then extended support ($0.60/h, on by default in EKS), and the Cluster Autoscaler image of the same minor
 * (the autoscaler supports only the Kubernetes minor it was built for).
 */
export interface KubernetesVersionFacts {
  readonly minor: string;
  /** Last day of standard support, then extended support until endOfExtendedSupport (ISO dates). */
  readonly endOfStandardSupport: string;
  readonly endOfExtendedSupport: string;
  /** registry.k8s.io/autoscaling/cluster-autoscaler tag of the same minor. */
  readonly clusterAutoscalerImage: string;
}

/** @public Where the support dates, images and prices come from, kept beside the figures. */
export const KUBERNETES_VERSIONS_SOURCE = {
  support:
    "Amazon EKS Kubernetes release calendar (docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html; " +
    "14 months standard, 12 extended), dates as listed by endoflife.date/amazon-eks",
  clusterAutoscaler: "kubernetes/autoscaler releases, as mapped in aws-ia/terraform-aws-eks-blueprints-addons#516 (2026-07-17)",
  pricing: "https://aws.amazon.com/eks/pricing/ (standard $0.10, extended $0.60 per cluster-hour)",
  date: "2026-12-07",
} as const;

export const KUBERNETES_VERSIONS: readonly KubernetesVersionFacts[] = [
  { minor: "1.33", endOfStandardSupport: "2026-07-29", endOfExtendedSupport: "2027-07-29", clusterAutoscalerImage: "v1.33.5" },
  { minor: "1.34", endOfStandardSupport: "2026-12-02", endOfExtendedSupport: "2027-12-02", clusterAutoscalerImage: "v1.34.4" },
  { minor: "1.35", endOfStandardSupport: "2027-03-27", endOfExtendedSupport: "2028-03-27", clusterAutoscalerImage: "v1.35.1" },
];

/** The default: the newest minor in the table, in standard support. */
export const DEFAULT_KUBERNETES_VERSION = "1.35";

export const EKS_STANDARD_SUPPORT_USD_PER_HOUR = 0.1;
export const EKS_EXTENDED_SUPPORT_USD_PER_HOUR = 0.6;

export interface KubernetesSupport {
  readonly minor: string;
  readonly status: "standard" | "extended" | "ended";
  /** The last day of the current status. */
  readonly until: string;
  readonly controlPlaneUsdPerHour: number;
}

export function isKnownKubernetesVersion(minor: string): boolean {
  return KUBERNETES_VERSIONS.some((v) => v.minor === minor);
}

export function kubernetesVersionFacts(minor: string): KubernetesVersionFacts {
  const facts = KUBERNETES_VERSIONS.find((v) => v.minor === minor);
  if (!facts) throw new Error(`Unknown Kubernetes version ${minor}; known: ${KUBERNETES_VERSIONS.map((v) => v.minor).join(", ")}.`);
  return facts;
}

/** Where a minor version stands on `today` (an ISO date), and what its control plane costs per hour. */
export function kubernetesSupport(minor: string, today: string = new Date().toISOString().slice(0, 10)): KubernetesSupport {
  const facts = kubernetesVersionFacts(minor);
  if (today <= facts.endOfStandardSupport) {
    return { minor, status: "standard", until: facts.endOfStandardSupport, controlPlaneUsdPerHour: EKS_STANDARD_SUPPORT_USD_PER_HOUR };
  }
  const status = today <= facts.endOfExtendedSupport ? "extended" : "ended";
  return { minor, status, until: facts.endOfExtendedSupport, controlPlaneUsdPerHour: EKS_EXTENDED_SUPPORT_USD_PER_HOUR };
}

/** "Kubernetes 1.35: standard support until 2027-03-27 (control plane $0.10/h)", for fleet plan. */
export function describeKubernetesSupport(support: KubernetesSupport): string {
  const price = `control plane $${support.controlPlaneUsdPerHour.toFixed(2)}/h`;
  const upgrade = `set cluster.kubernetesVersion: "${DEFAULT_KUBERNETES_VERSION}"`;
  if (support.status === "standard") return `Kubernetes ${support.minor}: standard support until ${support.until} (${price})`;
  if (support.status === "extended") {
    return `Kubernetes ${support.minor}: EXTENDED support until ${support.until} (${price}, 6x standard); ${upgrade}`;
  }
  return `Kubernetes ${support.minor}: out of support since ${support.until}: EKS upgrades such clusters by itself; ${upgrade}`;
}
