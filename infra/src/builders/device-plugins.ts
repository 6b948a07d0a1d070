import type * as k8s from "@pulumi/kubernetes";
import { DEVICE_PLUGIN_RESOURCES } from "@inference-fleet/fleet-config";
import { IMAGES, LABELS, PART_OF } from "../constants.js";
import { taintsFor, tolerationsFor, type AcceleratorKind } from "./node-groups.js";
import { containerResources } from "./container-resources.js";

type Metadata = k8s.types.input.meta.v1.ObjectMeta;
export type DaemonSetObject = { metadata: Metadata; spec: k8s.types.input.apps.v1.DaemonSetSpec };

/** The RBAC the Neuron device plugin needs to read and patch its node (from the Neuron SDK's manifest). */
export const NEURON_PLUGIN_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [
  { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] },
  { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
  { apiGroups: [""], resources: ["pods"], verbs: ["update", "patch", "get", "list", "watch"] },
  { apiGroups: [""], resources: ["nodes/status"], verbs: ["patch", "update"] },
];

/**
 * The device plugin DaemonSet that advertises nvidia.com/gpu or aws.amazon.com/neuron on the
 * fleet's accelerator nodes (the EKS AL2023 accelerated AMIs ship drivers, not the plugin).
 */
export function buildDevicePluginDaemonSet(accelerator: AcceleratorKind, serviceAccountName?: string): DaemonSetObject {
  const name = accelerator === "nvidia" ? "nvidia-device-plugin" : "neuron-device-plugin";
  const labels = { [LABELS.app]: name, [LABELS.partOf]: PART_OF };
  const container: k8s.types.input.core.v1.Container =
    accelerator === "nvidia"
      ? {
          name,
          image: IMAGES.nvidiaDevicePlugin,
          env: [{ name: "FAIL_ON_INIT_ERROR", value: "false" }],
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
          volumeMounts: [{ name: "device-plugin", mountPath: "/var/lib/kubelet/device-plugins" }],
        }
      : {
          name,
          image: IMAGES.neuronDevicePlugin,
          env: [
            { name: "KUBECONFIG", value: "" },
            { name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
          ],
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
          volumeMounts: [
            { name: "device-plugin", mountPath: "/var/lib/kubelet/device-plugins" },
            { name: "infa-map", mountPath: "/run" },
          ],
        };
  const volumes: k8s.types.input.core.v1.Volume[] = [{ name: "device-plugin", hostPath: { path: "/var/lib/kubelet/device-plugins" } }];
  if (accelerator === "neuron") volumes.push({ name: "infa-map", hostPath: { path: "/run" } });
  return {
    metadata: { name, namespace: "kube-system", labels },
    spec: {
      selector: { matchLabels: labels },
      updateStrategy: { type: "RollingUpdate" },
      template: {
        metadata: { labels },
        spec: {
          ...(serviceAccountName ? { serviceAccountName } : {}),
          priorityClassName: "system-node-critical",
          // Only where the accelerator is: the fleet node group labels the instance type's nodes.
          nodeSelector: { [LABELS.nodeRole]: "fleet" },
          tolerations: [...tolerationsFor(taintsFor("fleet", accelerator)), { key: "CriticalAddonsOnly", operator: "Exists" }],
          containers: [{ ...container, resources: containerResources(DEVICE_PLUGIN_RESOURCES) }],
          volumes,
        },
      },
    },
  };
}
