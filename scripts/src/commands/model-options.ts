import { isPrecision, isPresetName, PRECISIONS, PRESET_NAMES, type Precision, type PresetName } from "@inference-fleet/model-zoo";
import { UsageError } from "../command.js";

// Option parsing shared by `fleet model generate` and `fleet model generate-many`.

export const sizeOption = {
  type: "string",
  valueName: PRESET_NAMES.join("|"),
  default: "tiny",
  description: "Preset: tiny (2 layers, hidden 128), mini (4, 256) or base (12, 768: bert-base, ~440 MB).",
} as const;

export function parseSize(value: string | undefined): PresetName {
  const size = value ?? "tiny";
  if (!isPresetName(size)) throw new UsageError(`--size must be one of ${PRESET_NAMES.join(", ")}, got "${size}".`);
  return size;
}

export const precisionOption = {
  type: "string",
  valueName: PRECISIONS.join("|"),
  default: "fp32",
  description: "fp32, or int8: dynamic int8 quantization (int8 weights per output channel; 1/4 of the size, 2-3x the CPU rate).",
} as const;

export function parsePrecision(value: string | undefined): Precision {
  const precision = value ?? "fp32";
  if (!isPrecision(precision)) throw new UsageError(`--precision must be one of ${PRECISIONS.join(", ")}, got "${precision}".`);
  return precision;
}

/** A whole number from `min` to Number.MAX_SAFE_INTEGER, written in decimal digits only. */
export function parseWholeNumber(value: string | undefined, flag: string, min: number): number {
  const parsed = value !== undefined && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min) {
    throw new UsageError(`--${flag} must be a whole number from ${min} to ${Number.MAX_SAFE_INTEGER}, got "${value ?? ""}".`);
  }
  return parsed;
}

export function requireOut(value: string | undefined): string {
  if (!value) throw new UsageError("--out is required: the directory to write the model files into.");
  return value;
}

export function formatMegabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/**
 * Prints "done/total" progress: every item on a terminal (rewriting one line), one line per tenth of
 * the work otherwise, so logs stay short for thousands of models. A total known only as an estimate
 * (work bounded by time) is passed with each call.
 */
export function progressPrinter(fixedTotal?: number): (done: number, line: string, total?: number) => void {
  return (done, line, total = fixedTotal ?? done) => {
    const every = process.stdout.isTTY ? 1 : Math.max(1, Math.floor(total / 10));
    if (done % every !== 0 && done !== total) return;
    if (process.stdout.isTTY) process.stdout.write(`\r${line}${done === total ? "\n" : ""}`);
    else console.log(line);
  };
}
