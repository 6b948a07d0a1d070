/** Kubernetes resource quantities as numbers: CPU in millicores, memory in MiB. */

const MEMORY_UNITS: Record<string, number> = {
  "": 1 / 2 ** 20,
  k: 1e3 / 2 ** 20,
  M: 1e6 / 2 ** 20,
  G: 1e9 / 2 ** 20,
  T: 1e12 / 2 ** 20,
  Ki: 1 / 1024,
  Mi: 1,
  Gi: 1024,
  Ti: 1024 * 1024,
};

/** "4" -> 4000, "500m" -> 500, "1.5" -> 1500. */
export function cpuMillis(quantity: string | number): number {
  const text = String(quantity).trim();
  const match = /^(\d+(?:\.\d+)?)(m?)$/.exec(text);
  if (!match) throw new Error(`"${text}" is not a CPU quantity: write e.g. "2", "1.5" or "500m".`);
  const value = Number(match[1]);
  return match[2] === "m" ? value : value * 1000;
}

/** "6Gi" -> 6144, "512Mi" -> 512, "1G" -> 953.67..., "1048576" (bytes) -> 1. */
export function memoryMiB(quantity: string | number): number {
  const text = String(quantity).trim();
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(text);
  if (!match) throw new Error(`"${text}" is not a memory quantity: write e.g. "512Mi" or "4Gi".`);
  return Number(match[1]) * MEMORY_UNITS[match[2] ?? ""]!;
}

/** 3820 -> "3.82", 4000 -> "4". */
export function formatCpu(millis: number): string {
  return String(Number((millis / 1000).toFixed(3)));
}

/** 6144 -> "6 GiB", 900 -> "900 MiB". */
export function formatMemory(mib: number): string {
  return mib >= 1024 ? `${Number((mib / 1024).toFixed(2))} GiB` : `${Math.round(mib)} MiB`;
}
