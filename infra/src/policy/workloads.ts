import type { ResourceValidationPolicy } from "@pulumi/policy";

const WORKLOADS: Record<string, (props: Record<string, any>) => Record<string, any> | undefined> = {
  "kubernetes:apps/v1:Deployment": (props) => props.spec?.template?.spec,
  "kubernetes:apps/v1:DaemonSet": (props) => props.spec?.template?.spec,
  "kubernetes:apps/v1:StatefulSet": (props) => props.spec?.template?.spec,
  "kubernetes:batch/v1:Job": (props) => props.spec?.template?.spec,
  "kubernetes:core/v1:Pod": (props) => props.spec,
};

/** Node agents (device plugins, CNI) legitimately need root and live here; application pods never do. */
const SYSTEM_NAMESPACES = new Set(["kube-system"]);

export const containersNonRootWithLimits: ResourceValidationPolicy = {
  name: "containers-non-root-with-limits",
  description: "Application containers run as non-root and have CPU and memory limits.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const podSpecOf = WORKLOADS[args.type];
    if (!podSpecOf || SYSTEM_NAMESPACES.has(args.props.metadata?.namespace)) return;
    const pod = podSpecOf(args.props);
    if (!pod) return;
    const podNonRoot = pod.securityContext?.runAsNonRoot === true;
    for (const container of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
      const nonRoot = container.securityContext?.runAsNonRoot ?? podNonRoot;
      if (nonRoot !== true) report(`Container ${container.name} may run as root: set securityContext.runAsNonRoot: true (on the pod or the container).`);
      const limits = container.resources?.limits ?? {};
      const missing = ["cpu", "memory"].filter((resource) => limits[resource] === undefined);
      if (missing.length > 0) report(`Container ${container.name} has no ${missing.join(" or ")} limit: set resources.limits.`);
    }
  },
};
