import type { ContainerResources } from "@inference-fleet/fleet-config";

/** A container's resources as a spec or chart values take them: a fresh, mutable copy of fleet-config's constant, so no two objects share one. */
export function containerResources(resources: ContainerResources): { requests: Record<string, string>; limits: Record<string, string> } {
  return { requests: { ...resources.requests }, limits: { ...resources.limits } };
}
