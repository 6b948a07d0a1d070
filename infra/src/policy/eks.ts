import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forTypes, TYPES } from "./by-type.js";

/** The endpoint settings, wherever the resource keeps them (eks component: top level; aws: vpcConfig). */
function endpointSettings(props: Record<string, any>, type: string): { publicAccess: boolean; cidrs: string[] } {
  const source = type === TYPES.eksCluster ? (props.vpcConfig ?? {}) : props;
  return { publicAccess: source.endpointPublicAccess !== false, cidrs: source.publicAccessCidrs ?? [] };
}

export const eksEndpointNotOpen: ResourceValidationPolicy = {
  name: "eks-endpoint-not-open-to-internet",
  description: "A public EKS API endpoint lists the CIDRs that may reach it, and 0.0.0.0/0 is not one of them.",
  enforcementLevel: "mandatory",
  validateResource: forTypes([TYPES.eksComponent, TYPES.eksCluster], (props, report, type) => {
    const { publicAccess, cidrs } = endpointSettings(props, type);
    if (!publicAccess) return;
    if (cidrs.length === 0)
      report("The public API endpoint has no publicAccessCidrs, which AWS reads as 0.0.0.0/0: list your CIDRs or turn public access off.");
    if (cidrs.includes("0.0.0.0/0")) report("The public API endpoint is open to 0.0.0.0/0: list your CIDRs instead.");
  }),
};

export const eksSecretsEncrypted: ResourceValidationPolicy = {
  name: "eks-secrets-encrypted-with-kms",
  description: "EKS encrypts Kubernetes secrets with a KMS key.",
  enforcementLevel: "mandatory",
  validateResource: forTypes([TYPES.eksComponent, TYPES.eksCluster], (props, report, type) => {
    const encrypted =
      type === TYPES.eksComponent
        ? Boolean(props.encryptionConfigKeyArn)
        : Boolean(props.encryptionConfig?.provider?.keyArn) && (props.encryptionConfig?.resources ?? []).includes("secrets");
    if (!encrypted) report("Kubernetes secrets are not encrypted with KMS: give the cluster a KMS key (encryptionConfigKeyArn).");
  }),
};
