import { readFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";

/** Where the budget came from: a CFS quota (a pod's CPU limit), the CPU affinity (taskset, cpusets), or the core count. */
export type CpuBudgetSource = "cgroup" | "affinity" | "cores";

export interface CpuBudget {
  /** CPUs this process may use; fractional under a CFS quota ("1500m" is 1.5). */
  readonly cpus: number;
  readonly source: CpuBudgetSource;
  /** The file or call it was read from, for the start-up log ("cgroup cpu.max"). */
  readonly detail: string;
}

/** What readCpuBudget looks at; tests replace it. `readFile` returns undefined for a file that is not there. */
export interface CpuProbe {
  readFile(path: string): string | undefined;
  availableParallelism(): number;
  cores(): number;
}

export const hostCpuProbe: CpuProbe = {
  readFile: (path) => {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
  },
  availableParallelism,
  cores: () => cpus().length,
};

const CGROUP_V2_CPU_MAX = "/sys/fs/cgroup/cpu.max";
// cgroup v1 mounts the cpu controller as "cpu" or, joined with cpuacct, as "cpu,cpuacct".
const CGROUP_V1_DIRS = ["/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"];

/** CPUs allowed by a quota over a period, or undefined when unlimited or unreadable. */
function quotaCpus(quota: number, period: number): number | undefined {
  return Number.isFinite(quota) && Number.isFinite(period) && quota > 0 && period > 0 ? quota / period : undefined;
}

/** cgroup v2 `cpu.max`: "max 100000" is unlimited, "250000 100000" is 2.5 CPUs. */
export function parseCpuMax(text: string): number | undefined {
  const [quota, period] = text.trim().split(/\s+/);
  if (quota === undefined || quota === "max") return undefined;
  return quotaCpus(Number(quota), Number(period ?? 100_000));
}

/** The CFS quota of this process's cgroup (v2 first, then v1), or undefined when none applies. */
function cgroupLimit(probe: CpuProbe): CpuBudget | undefined {
  const v2 = probe.readFile(CGROUP_V2_CPU_MAX);
  if (v2 !== undefined) {
    const cpus = parseCpuMax(v2);
    return cpus === undefined ? undefined : { cpus, source: "cgroup", detail: "cgroup cpu.max" };
  }
  for (const dir of CGROUP_V1_DIRS) {
    const quota = probe.readFile(`${dir}/cpu.cfs_quota_us`);
    const period = probe.readFile(`${dir}/cpu.cfs_period_us`);
    if (quota === undefined || period === undefined) continue;
    const cpus = quotaCpus(Number(quota.trim()), Number(period.trim()));
    return cpus === undefined ? undefined : { cpus, source: "cgroup", detail: "cgroup cpu.cfs_quota_us" };
  }
  return undefined;
}

/**
 * The CPUs this process may use: the smallest of the cgroup's CFS quota (what a pod's CPU limit
 * becomes), the CPU affinity (Node's availableParallelism honours taskset and cpusets, not quotas)
 * and the core count. On a tie the more specific source is named.
 */
export function readCpuBudget(probe: CpuProbe = hostCpuProbe): CpuBudget {
  const cores = Math.max(1, probe.cores());
  const affinity = probe.availableParallelism();
  const candidates: CpuBudget[] = [
    ...[cgroupLimit(probe)].filter((limit) => limit !== undefined),
    ...(affinity >= 1 && affinity < cores ? [{ cpus: affinity, source: "affinity" as const, detail: "CPU affinity" }] : []),
    { cpus: cores, source: "cores", detail: "core count" },
  ];
  return candidates.reduce((best, candidate) => (candidate.cpus < best.cpus ? candidate : best));
}
