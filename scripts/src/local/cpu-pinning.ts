// On loopback, each model server gets the CPUs its pod would: ceil(server.resources.cpu) of this machine's, pinned with
// taskset. Unpinned, one server spreads over every core (its main thread on one, ONNX Runtime on another), so "one
// server's capacity" was the machine's and a second server added almost nothing (measured: an autoscaled ramp to 150%
// of it missed the SLO in every window after scale-out). Pinned, the server's own CPU budget, read from its affinity,
// gives it the workers and threads the pod's cgroup quota gives it in the cluster.
import { readFileSync } from "node:fs";
import { cpuMillis, type FleetConfig } from "@inference-fleet/fleet-config";
import { findBinary } from "./find-binary.js";

/** Servers are pinned to one block of CPUs each; blocks are the allowed CPUs in runs of a server's count. */
export interface CpuPinning {
  readonly taskset: string;
  readonly blocks: readonly (readonly number[])[];
}

/** What the plan looks at; tests replace it. */
export interface PinningProbe {
  readonly platform: NodeJS.Platform;
  /** /proc/self/status, or undefined where it cannot be read. */
  procStatus(): string | undefined;
  taskset(): string | undefined;
}

const hostPinningProbe: PinningProbe = {
  platform: process.platform,
  procStatus: () => {
    try {
      return readFileSync("/proc/self/status", "utf8");
    } catch {
      return undefined;
    }
  },
  taskset: () => findBinary("taskset"),
};

/** "0-3,6" -> [0, 1, 2, 3, 6] (the kernel's cpulist format). */
export function parseCpuList(text: string): number[] {
  const cpus: number[] = [];
  for (const part of text.trim().split(",").filter(Boolean)) {
    const [from, to = from] = part.split("-").map(Number);
    if (!Number.isInteger(from) || !Number.isInteger(to) || to! < from!) throw new Error(`not a CPU list: ${JSON.stringify(text)}`);
    for (let cpu = from!; cpu <= to!; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/** The CPUs this process may run on (its affinity), from /proc/self/status; undefined where that is not there. */
function allowedCpus(status: string | undefined): number[] | undefined {
  const line = status?.split("\n").find((l) => l.startsWith("Cpus_allowed_list:"));
  return line === undefined ? undefined : parseCpuList(line.slice(line.indexOf(":") + 1));
}

/** The pinning for a stack's servers on this machine, or none, with the log line that says which and why. */
export function planCpuPinning(config: FleetConfig, probe: PinningProbe = hostPinningProbe): { pinning?: CpuPinning; note: string } {
  const limit = config.server.resources.cpu;
  const perServer = Math.max(1, Math.ceil(cpuMillis(limit) / 1000));
  const allowed = probe.platform === "linux" ? allowedCpus(probe.procStatus()) : undefined;
  const share = (why: string) => ({ note: `servers share all of this machine's CPUs: ${why}` });
  if (allowed === undefined) return share(`pinning a server to its pod's server.resources.cpu (${limit}) needs Linux (taskset, /proc)`);
  if (perServer >= allowed.length) return share(`server.resources.cpu ${limit} is at least the ${allowed.length} CPUs this process may use`);
  const taskset = probe.taskset();
  if (taskset === undefined) {
    const why = `taskset (util-linux) was not found, so a server is not held to its pod's server.resources.cpu ${limit}`;
    return share(`${why}; install util-linux for pod-sized figures`);
  }
  const blocks = Array.from({ length: Math.floor(allowed.length / perServer) }, (_, i) => allowed.slice(i * perServer, (i + 1) * perServer));
  const each = `${perServer} CPU${perServer === 1 ? "" : "s"}`;
  const note = `each server pinned to ${each} of ${allowed.length} with taskset, as its pod's server.resources.cpu ${limit} limits it`;
  return { pinning: { taskset, blocks }, note };
}

/** The block with the fewest servers on it now (the first of those), so servers spread before they share. */
export function pickCpuBlock(pinning: CpuPinning, inUse: readonly (readonly number[])[]): readonly number[] {
  const users = pinning.blocks.map((block) => inUse.filter((cpus) => cpus[0] === block[0]).length);
  return pinning.blocks[users.indexOf(Math.min(...users))]!;
}
