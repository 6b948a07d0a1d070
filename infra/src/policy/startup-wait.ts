import type { ResourceValidationPolicy } from "@pulumi/policy";

/** Pulumi's Kubernetes provider waits this long for a Deployment to become ready when no customTimeouts are given. */
const DEFAULT_DEPLOYMENT_WAIT_SECONDS = 600;

interface Probe {
  readonly initialDelaySeconds?: number;
  readonly periodSeconds?: number;
  readonly failureThreshold?: number;
}

/** The longest a container's startup probe lets it start: initial delay + period x failures (Kubernetes' defaults: 0, 10, 3). */
function startupBudgetSeconds(probe: Probe | undefined): number {
  if (!probe) return 0;
  return (probe.initialDelaySeconds ?? 0) + (probe.periodSeconds ?? 10) * (probe.failureThreshold ?? 3);
}

export const workloadWaitCoversStartup: ResourceValidationPolicy = {
  name: "workload-wait-covers-startup",
  description: "Pulumi's wait for a Deployment covers its startup probe's budget, so a slow first start (a Neuron compile) is not reported as a failed `up`.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type !== "kubernetes:apps/v1:Deployment") return;
    const containers: { name: string; startupProbe?: Probe }[] = args.props.spec?.template?.spec?.containers ?? [];
    const budget = Math.max(0, ...containers.map((container) => startupBudgetSeconds(container.startupProbe)));
    const timeouts = args.opts?.customTimeouts;
    for (const [phase, seconds] of [
      ["create", timeouts?.createSeconds],
      ["update", timeouts?.updateSeconds],
    ] as const) {
      const wait = seconds || DEFAULT_DEPLOYMENT_WAIT_SECONDS;
      if (wait < budget) {
        report(
          `Deployment ${args.name}: Pulumi waits ${wait} s on ${phase} but the startup probe allows ${budget} s: ` +
            `set customTimeouts.${phase} to at least ${budget}s (plus the time to get a node and pull the image).`,
        );
      }
    }
  },
};
