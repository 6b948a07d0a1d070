import { readFileSync } from "node:fs";

/**
 * The CPU an int8 model is made for. Its integer dot-product instructions decide whether 8-bit weights are safe:
 * x86 without VNNI multiplies u8 x s8 pairs with VPMADDUBSW, whose int16 sums saturate, so full-range weights
 * lose accuracy there (measured: Gemm cosine 0.98066 instead of 0.9999); 7-bit weights ("reduce range", as ONNX
 * Runtime's quantize_dynamic calls it) cannot saturate. VNNI/AMX (x86) and the Arm dot-product (SDOT/UDOT) sum in
 * 32 bits, so they keep all 8 bits.
 */
export interface Int8Cpu {
  readonly arch: "x86_64" | "arm64";
  /** Integer dot products summed in 32 bits: x86 AVX512-VNNI, AVX-VNNI or AMX-INT8; Arm SDOT/UDOT (asimddp). */
  readonly int8DotProduct: boolean;
  /** Where the facts come from: "local CPU (...)" or an instance type's catalog entry. */
  readonly described: string;
}

/** 7-bit weights where the CPU's int8 products can saturate (x86 without VNNI); 8-bit elsewhere. */
export function reduceRangeFor(cpu: Int8Cpu): boolean {
  return cpu.arch === "x86_64" && !cpu.int8DotProduct;
}

const X86_DOT_PRODUCT_FLAGS = ["avx512_vnni", "avx_vnni", "amx_int8"];
const ARM_DOT_PRODUCT_FLAGS = ["asimddp"];

/** The CPU this process runs on, from /proc/cpuinfo's flags (x86) or Features (Arm) lines. */
export function localInt8Cpu(cpuinfo: string = readCpuinfo(), arch: string = process.arch): Int8Cpu {
  const flags = new Set(
    cpuinfo
      .split("\n")
      .filter((line) => /^(flags|Features)\s*:/.test(line))
      .flatMap((line) =>
        line
          .slice(line.indexOf(":") + 1)
          .trim()
          .split(/\s+/),
      ),
  );
  const isArm = arch === "arm64" || arch === "aarch64";
  const wanted = isArm ? ARM_DOT_PRODUCT_FLAGS : X86_DOT_PRODUCT_FLAGS;
  const found = wanted.filter((flag) => flags.has(flag));
  return {
    arch: isArm ? "arm64" : "x86_64",
    int8DotProduct: found.length > 0,
    described: `local CPU (${isArm ? "arm64" : "x86_64"}, ${found.length > 0 ? found.join(", ") : `no ${wanted.join("/")}`})`,
  };
}

function readCpuinfo(): string {
  try {
    return readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    return ""; // not Linux: no flags known, so x86 takes the safe 7-bit weights
  }
}
