// A stack sized for a big node, run on a laptop, measures the laptop: say so before the run starts.
import { availableParallelism } from "node:os";
import { cpuMillis, formatCpu, type FleetConfig } from "@inference-fleet/fleet-config";

/** The warning to print when the stack's servers ask for more CPUs than this machine has, else undefined. */
export function localSizeWarning(config: FleetConfig, cores: number = availableParallelism()): string | undefined {
  const perServer = cpuMillis(config.server.resources.cpu);
  const wanted = perServer * config.server.numServers;
  if (wanted <= cores * 1000) return undefined;
  return (
    `warning: stack ${config.stack} is sized for ${config.server.numServers} servers x ${formatCpu(perServer)} CPU ` +
    `(${formatCpu(wanted)} CPUs on ${config.instanceType}), but this machine has ${cores}: its servers will share those cores, ` +
    `so the figures describe this machine, not ${config.instanceType}. For a laptop-sized comparison use the dev stacks ` +
    `(e.g. --compare dev,dev-no-batching,dev-fixed-padding).`
  );
}
