import { loadStackConfig, type FleetConfig } from "@inference-fleet/fleet-config";
import { describe, expect, it } from "vitest";
import { parseCpuList, pickCpuBlock, planCpuPinning, type PinningProbe } from "./cpu-pinning.js";

const dev = loadStackConfig("dev", { env: {} });
const withCpu = (cpu: string): FleetConfig => ({ ...dev, server: { ...dev.server, resources: { ...dev.server.resources, cpu } } });
const status = (list: string) => `Name:\tnode\nCpus_allowed:\tff\nCpus_allowed_list:\t${list}\nMems_allowed_list:\t0\n`;
const linux = (list: string): PinningProbe => ({ platform: "linux", procStatus: () => status(list), taskset: () => "/usr/bin/taskset" });

describe("parseCpuList", () => {
  it("reads the kernel's cpulist format: single CPUs, ranges and both", () => {
    expect(parseCpuList("0")).toEqual([0]);
    expect(parseCpuList("0-3,6,8-9\n")).toEqual([0, 1, 2, 3, 6, 8, 9]);
  });

  it("refuses what is not a CPU list", () => {
    expect(() => parseCpuList("a-b")).toThrow(/not a CPU list/);
    expect(() => parseCpuList("3-1")).toThrow(/not a CPU list/);
  });
});

describe("planCpuPinning", () => {
  it("pins each server of a cpu: 1 stack to one of the CPUs this process may use, saying so", () => {
    const { pinning, note } = planCpuPinning(dev, linux("0-1"));
    expect(pinning?.blocks).toEqual([[0], [1]]);
    expect(pinning?.taskset).toBe("/usr/bin/taskset");
    expect(note).toBe("each server pinned to 1 CPU of 2 with taskset, as its pod's server.resources.cpu 1 limits it");
  });

  it("gives a fractional limit its whole CPUs (1500m -> 2), from the allowed CPUs only", () => {
    expect(planCpuPinning(withCpu("1500m"), linux("2-7")).pinning?.blocks).toEqual([
      [2, 3],
      [4, 5],
      [6, 7],
    ]);
  });

  it("does not pin a server whose limit is the whole machine, or without taskset or Linux, and says why", () => {
    expect(planCpuPinning(withCpu("2"), linux("0-1"))).toEqual({ note: expect.stringMatching(/share .*: server.resources.cpu 2 is at least the 2 CPUs/) });
    expect(planCpuPinning(dev, { ...linux("0-1"), taskset: () => undefined })).toEqual({ note: expect.stringMatching(/taskset \(util-linux\) was not found/) });
    expect(planCpuPinning(dev, { ...linux("0-1"), platform: "darwin" })).toEqual({ note: expect.stringMatching(/needs Linux/) });
    expect(planCpuPinning(dev, { ...linux("0-1"), procStatus: () => undefined })).toEqual({ note: expect.stringMatching(/needs Linux/) });
  });
});

describe("pickCpuBlock", () => {
  const pinning = { taskset: "taskset", blocks: [[0], [1]] };

  it("spreads servers over the blocks before any two share one", () => {
    expect(pickCpuBlock(pinning, [])).toEqual([0]);
    expect(pickCpuBlock(pinning, [[0]])).toEqual([1]);
    expect(pickCpuBlock(pinning, [[0], [1]])).toEqual([0]);
  });

  it("puts a new server where one left (scale-down, then scale-out)", () => {
    expect(pickCpuBlock(pinning, [[1], [0], [1]])).toEqual([0]);
    expect(pickCpuBlock(pinning, [[1]])).toEqual([0]);
  });
});
