import type { LoadTestConfig } from "@inference-fleet/fleet-config";
import type { LatencyPercentiles } from "@inference-fleet/load-test";

/** The stack config's SLO: a latency percentile bound plus an error budget. */
export type Slo = LoadTestConfig["slo"];

/** The figures an SLO judges. */
export interface SloFigures {
  readonly throughput: number;
  readonly latencyMs: LatencyPercentiles;
  readonly errorRate: number;
}

/** Whether measured figures meet the SLO; a run that served nothing meets none. */
export function figuresMeetSlo(figures: SloFigures, slo: Slo): boolean {
  return figures.throughput > 0 && figures.latencyMs[slo.percentile] <= slo.thresholdMs && figures.errorRate <= slo.maxErrorRate;
}

export function describeSlo(slo: Slo): string {
  return `${slo.percentile} <= ${slo.thresholdMs} ms with at most ${(slo.maxErrorRate * 100).toFixed(1)}% errors`;
}
