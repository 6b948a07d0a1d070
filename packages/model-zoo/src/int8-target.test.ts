import { describe, expect, it } from "vitest";
import { localInt8Cpu, reduceRangeFor } from "./int8-target.js";

const x86 = (flags: string) => `processor\t: 0\nmodel name\t: test\nflags\t\t: fpu sse2 avx2 ${flags}\n\nprocessor\t: 1\nflags\t\t: fpu sse2 avx2 ${flags}\n`;

describe("localInt8Cpu and reduceRangeFor", () => {
  it.each([
    ["AVX2 only (EPYC Rome/Milan)", x86("fma"), "x64", true],
    ["AVX512-VNNI (Ice Lake, c6i)", x86("avx512f avx512_vnni"), "x64", false],
    ["AVX-VNNI (Alder Lake)", x86("avx_vnni"), "x64", false],
    ["AMX-INT8 (Sapphire Rapids, c7i)", x86("avx512f avx512_vnni amx_int8"), "x64", false],
    ["Arm with dot product (Graviton3, c7g)", "processor\t: 0\nFeatures\t: fp asimd asimddp sve\n", "arm64", false],
    ["Arm without dot product (Graviton1)", "processor\t: 0\nFeatures\t: fp asimd\n", "arm64", false],
    ["no /proc/cpuinfo (not Linux)", "", "x64", true],
  ])("%s: 7-bit weights = %s", (_name, cpuinfo, arch, expected) => {
    expect(reduceRangeFor(localInt8Cpu(cpuinfo, arch))).toBe(expected);
  });

  it("names the flags it found, so model.json says which CPU the weights were made for", () => {
    expect(localInt8Cpu(x86("avx512_vnni amx_int8"), "x64").described).toBe("local CPU (x86_64, avx512_vnni, amx_int8)");
    expect(localInt8Cpu(x86(""), "x64").described).toBe("local CPU (x86_64, no avx512_vnni/avx_vnni/amx_int8)");
  });
});
