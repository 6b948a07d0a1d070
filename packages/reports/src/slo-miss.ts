// Whether a run met its SLO and error budget, in words: the one judgement `fleet load` and
// `fleet local` exit non-zero on, as k6 fails a run on its thresholds (the same thresholds,
// evaluated the same way, over latencies of successes only).
import { totalErrors, type LoadTestResult } from "@inference-fleet/load-test";
import { describeSloInFull, type Slo } from "@inference-fleet/fleet-config";
import { buildThresholds, evaluateThresholds } from "@inference-fleet/load-test";

const percent = (share: number) => `${(share * 100).toFixed(2)}%`;

/** Why the run misses its SLO or error budget, as one sentence; undefined when it meets both. */
export function sloMiss(result: LoadTestResult, slo: Slo): string | undefined {
  const failed = totalErrors(result.errors);
  const reasons: string[] = [];
  if (result.requests - failed <= 0) reasons.push(`no request succeeded (${result.requests} finished)`);
  for (const outcome of evaluateThresholds(buildThresholds(slo), result)) {
    if (outcome.passed) continue;
    if (outcome.expression.startsWith("p(")) reasons.push(`p${slo.percentile} was ${outcome.value.toFixed(1)} ms, over ${slo.latencyMs} ms`);
    else {
      const kinds = Object.entries(result.errors)
        .sort(([, a], [, b]) => b - a)
        .map(([kind, n]) => `${n} ${kind}`)
        .join(", ");
      reasons.push(`errors were ${percent(outcome.value)} of ${result.requests} requests (${kinds}), over the ${percent(slo.maxErrorRate)} budget`);
    }
  }
  return reasons.length === 0 ? undefined : `misses its SLO (${describeSloInFull(slo)}): ${reasons.join("; ")}.`;
}
