import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { FleetConfig } from "@inference-fleet/fleet-config";
import type { KubernetesTarget } from "./kubernetes-target.js";

/** A kubeconfig that gets tokens from `aws eks get-token`, for a cluster known by name. */
function eksKubeconfig(clusterName: string, endpoint: string, certificateAuthority: string, region: string): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: clusterName, cluster: { server: endpoint, "certificate-authority-data": certificateAuthority } }],
    contexts: [{ name: clusterName, context: { cluster: clusterName, user: clusterName } }],
    "current-context": clusterName,
    users: [
      {
        name: clusterName,
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "aws",
            args: ["eks", "get-token", "--cluster-name", clusterName, "--region", region],
          },
        },
      },
    ],
  });
}

/** A kubeconfig setting is a path (relative to the repo root) or the kubeconfig's text. */
function kubeconfigText(setting: string, repoRoot: string): string {
  const file = path.resolve(repoRoot, setting);
  if (!setting.includes("\n") && existsSync(file)) return readFileSync(file, "utf8");
  if (/apiVersion|clusters/.test(setting)) return setting;
  throw new Error(
    `cluster.existing.kubeconfig "${setting}" is neither a readable file nor kubeconfig text: give a path (relative to the repo root) or paste the kubeconfig.`,
  );
}

/** Bring-your-own cluster: no Network and no Cluster are created, only a provider for the one given. */
export function existingClusterTarget(config: FleetConfig, repoRoot: string, opts: pulumi.CustomResourceOptions = {}): KubernetesTarget {
  const existing = config.cluster.existing;
  if (!existing) throw new Error("existingClusterTarget needs cluster.existing in the config.");
  if (existing.kubeconfig) {
    const kubeconfig = pulumi.secret(kubeconfigText(existing.kubeconfig, repoRoot));
    return { kubeconfig, provider: new k8s.Provider("existing-cluster", { kubeconfig, enableServerSideApply: true }, opts) };
  }
  const found = aws.eks.getClusterOutput({ name: existing.clusterName! });
  const kubeconfig = pulumi.secret(
    pulumi
      .all([found.name, found.endpoint, found.certificateAuthorities])
      .apply(([name, endpoint, authorities]) => eksKubeconfig(name, endpoint, authorities[0]?.data ?? "", config.region)),
  );
  return {
    kubeconfig,
    clusterName: found.name,
    clusterArn: found.arn,
    provider: new k8s.Provider("existing-cluster", { kubeconfig, enableServerSideApply: true }, opts),
  };
}
