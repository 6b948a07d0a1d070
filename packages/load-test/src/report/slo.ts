// The SLO a run is judged against, as reports read it: a capacity search keeps its SLO in the
// results (capacity.slo); other runs carry it as the `slo` label ("p90<=100ms errors<=1%"), written
// by whoever knows the stack's config (fleet local, fleet matrix, or `fleet load --label`).
import type { LoadTestResult } from "../results.js";
import { DEFAULT_SLO, type Slo } from "../thresholds.js";

export const SLO_LABEL = "slo";

const percent = (share: number) => `${Number((share * 100).toPrecision(6))}%`;

/** "p90 <= 100 ms": how the page names the SLO. */
export function describeSlo(slo: Slo): string {
  return `p${slo.percentile} <= ${Number(slo.latencyMs.toPrecision(6))} ms`;
}

/** "p90 <= 100 ms, at most 1% errors". */
export function describeSloInFull(slo: Slo): string {
  return `${describeSlo(slo)}, at most ${percent(slo.maxErrorRate)} errors`;
}

/** The `slo` label's text for an SLO. */
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

/** The SLO a result was judged against: its capacity search's, else its `slo` label's; undefined when it carries none. */
export function sloOf(result: LoadTestResult): Slo | undefined {
  if (result.capacity) return result.capacity.slo;
  const label = result.labels[SLO_LABEL];
  return label === undefined ? undefined : parseSloLabel(label);
}
