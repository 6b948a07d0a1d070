// The one SLO: its type, how a stack file and a results label write it, how it is described, and how measured
// figures are judged against it. The load test, k6 thresholds, reports, tune, the matrix and infra all use this.
import { z } from "zod";

/** A latency percentile bound plus an error budget, as measured runs, results files and k6 thresholds use it. */
export interface Slo {
  /** Which latency percentile the SLO is about, e.g. 90 for p90. */
  readonly percentile: number;
  /** The latency that percentile must not exceed, in milliseconds. */
  readonly latencyMs: number;
  /** Highest acceptable share of failed requests, e.g. 0.01. */
  readonly maxErrorRate: number;
}

export const DEFAULT_SLO: Slo = { percentile: 90, latencyMs: 100, maxErrorRate: 0.01 };

const stackSloFields = z.strictObject({
  percentile: z.enum(["p50", "p90", "p95", "p99"]).default("p90"),
  thresholdMs: z.number().positive().default(100),
  maxErrorRate: z.number().min(0).max(1).default(0.01),
});

/**
 * The stack file's loadTest.slo: an object, or "p90<=100ms" (or "p90<=0.1s") as shorthand for { percentile: "p90",
 * thresholdMs: 100 }; any other string is an error that shows the form, rather than zod's "expected object".
 * The parsed config keeps this form (so `fleet config check` prints what the stack file says); `sloOfStack` reads it.
 */
export const stackSloSchema = z.preprocess((value, ctx) => {
  if (typeof value !== "string") return value;
  const match = /^\s*(p50|p90|p95|p99)\s*(<=?)\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$/.exec(value);
  const form = 'write it as "p90<=100ms" (p50, p90, p95 or p99, at most a threshold in ms or s) or as { percentile, thresholdMs, maxErrorRate }';
  const problem = !match
    ? `SLO ${JSON.stringify(value)} is not understood: ${form}.`
    : match[2] === "<"
      ? `SLO ${JSON.stringify(value)} uses "<": an SLO holds while the percentile is at most the threshold, so write ` +
        `"${match[1]}<=${match[3]}${match[4] ?? "ms"}".`
      : match[4] === undefined
        ? `SLO ${JSON.stringify(value)} has no unit: write "${match[1]}<=${match[3]}ms" (or s).`
        : undefined;
  if (problem !== undefined || !match) {
    ctx.addIssue({ code: "custom", message: problem ?? form, input: value });
    return z.NEVER;
  }
  return { percentile: match[1], thresholdMs: Number(match[3]) * (match[4] === "s" ? 1000 : 1) };
}, stackSloFields);

/** The SLO a stack file's loadTest.slo states. */
export function sloOfStack(slo: z.output<typeof stackSloSchema>): Slo {
  return { percentile: Number(slo.percentile.slice(1)), latencyMs: slo.thresholdMs, maxErrorRate: slo.maxErrorRate };
}

const percent = (share: number) => `${Number((share * 100).toPrecision(6))}%`;

/** "p90 <= 100 ms": the latency bound alone. */
export function describeSlo(slo: Slo): string {
  return `p${slo.percentile} <= ${Number(slo.latencyMs.toPrecision(6))} ms`;
}

/** "p90 <= 100 ms, at most 1% errors". */
export function describeSloInFull(slo: Slo): string {
  return `${describeSlo(slo)}, at most ${percent(slo.maxErrorRate)} errors`;
}

/** The `slo` results label's text for an SLO: "p90<=100ms errors<=1%". */
export function sloLabel(slo: Slo): string {
  return `p${slo.percentile}<=${slo.latencyMs}ms errors<=${percent(slo.maxErrorRate)}`;
}

const LABEL = /^p(\d+(?:\.\d+)?)\s*<=\s*(\d+(?:\.\d+)?)\s*ms(?:\s+errors\s*<=\s*(\d+(?:\.\d+)?)%)?$/;

/** Reads an `slo` label (without an error budget, the default one); the error says what the label should look like. */
export function parseSloLabel(text: string): Slo {
  const match = LABEL.exec(text.trim());
  if (!match) throw new Error(`Label slo="${text}" is not understood: write it as "p90<=100ms" or "p90<=100ms errors<=1%".`);
  return {
    percentile: Number(match[1]),
    latencyMs: Number(match[2]),
    maxErrorRate: match[3] === undefined ? DEFAULT_SLO.maxErrorRate : Number(match[3]) / 100,
  };
}

/** The figures an SLO judges: throughput, latency percentiles by name ("p90"), and the share of failed requests. */
export interface SloFigures {
  readonly throughput: number;
  readonly latencyMs: Readonly<Partial<Record<"p50" | "p90" | "p95" | "p99", number>>>;
  readonly errorRate: number;
}

/** Whether measured figures meet the SLO; a run that served nothing, or lacks the SLO's percentile, meets none. */
export function figuresMeetSlo(figures: SloFigures, slo: Slo): boolean {
  const latency = (figures.latencyMs as Readonly<Record<string, number | undefined>>)[`p${slo.percentile}`];
  return figures.throughput > 0 && latency !== undefined && latency <= slo.latencyMs && figures.errorRate <= slo.maxErrorRate;
}
