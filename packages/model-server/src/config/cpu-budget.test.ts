import { describe, expect, it } from "vitest";
import { hostCpuProbe, parseCpuMax, readCpuBudget, type CpuProbe } from "./cpu-budget.js";

/** A machine with these files (anything else is absent), this affinity and these cores. */
function machine(files: Record<string, string>, affinity: number, cores: number): CpuProbe {
  return { readFile: (path) => files[path], availableParallelism: () => affinity, cores: () => cores };
}

const V2 = "/sys/fs/cgroup/cpu.max";
const V1 = (dir: string, quota: string, period = "100000\n") => ({
  [`/sys/fs/cgroup/${dir}/cpu.cfs_quota_us`]: quota,
  [`/sys/fs/cgroup/${dir}/cpu.cfs_period_us`]: period,
});

describe.each([
  ["no cgroup limit: the cores", machine({}, 16, 16), 16, "cores", "core count"],
  ["cgroup v2 unlimited (max)", machine({ [V2]: "max 100000\n" }, 8, 8), 8, "cores", "core count"],
  ["cgroup v2 quota of a pod with cpu: 2500m", machine({ [V2]: "250000 100000\n" }, 16, 16), 2.5, "cgroup", "cgroup cpu.max"],
  ["cgroup v2 quota with another period", machine({ [V2]: "50000 50000" }, 16, 16), 1, "cgroup", "cgroup cpu.max"],
  ["cgroup v2 quota under the affinity", machine({ [V2]: "300000 100000" }, 4, 16), 3, "cgroup", "cgroup cpu.max"],
  ["affinity under the cgroup v2 quota (taskset)", machine({ [V2]: "600000 100000" }, 2, 16), 2, "affinity", "CPU affinity"],
  ["cgroup v2 quota above the cores", machine({ [V2]: "800000 100000" }, 4, 4), 4, "cores", "core count"],
  ["a tie names the cgroup", machine({ [V2]: "400000 100000" }, 4, 4), 4, "cgroup", "cgroup cpu.max"],
  ["cgroup v1 cpu quota", machine(V1("cpu", "150000\n"), 8, 8), 1.5, "cgroup", "cgroup cpu.cfs_quota_us"],
  ["cgroup v1 unlimited (-1)", machine(V1("cpu", "-1\n"), 8, 8), 8, "cores", "core count"],
  ["cgroup v1 on the cpu,cpuacct mount", machine(V1("cpu,cpuacct", "200000"), 8, 8), 2, "cgroup", "cgroup cpu.cfs_quota_us"],
  ["cgroup v1 quota with only one of its two files", machine({ "/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "100000" }, 8, 8), 8, "cores", "core count"],
  ["a malformed cpu.max is no limit", machine({ [V2]: "garbage" }, 8, 8), 8, "cores", "core count"],
  ["affinity alone (taskset -c 1)", machine({}, 1, 2), 1, "affinity", "CPU affinity"],
  ["a quota under one CPU stays fractional", machine({ [V2]: "50000 100000" }, 2, 2), 0.5, "cgroup", "cgroup cpu.max"],
])("readCpuBudget: %s", (_case, probe, cpus, source, detail) => {
  it(`is ${cpus} CPUs from ${source}`, () => {
    expect(readCpuBudget(probe)).toEqual({ cpus, source, detail });
  });
});

describe("parseCpuMax", () => {
  it.each([
    ["max 100000", undefined],
    ["max", undefined],
    ["100000 100000", 1],
    ["150000 100000", 1.5],
    ["0 100000", undefined],
    ["100000 0", undefined],
  ])("%j -> %s CPUs", (text, cpus) => {
    expect(parseCpuMax(text)).toBe(cpus);
  });
});

describe("readCpuBudget on this machine", () => {
  it("is a positive number of CPUs, no more than its cores", () => {
    const budget = readCpuBudget(hostCpuProbe);
    expect(budget.cpus).toBeGreaterThan(0);
    expect(budget.cpus).toBeLessThanOrEqual(hostCpuProbe.cores());
  });
});
