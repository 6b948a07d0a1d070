// The SLO a run is judged against, as reports read it: a capacity search keeps its SLO in the
// results (capacity.slo); other runs carry it as the `slo` label ("p90<=100ms errors<=1%"), written
// by whoever knows the stack's config (fleet local, fleet matrix, or `fleet load --label`).
import { parseSloLabel, type Slo } from "@inference-fleet/fleet-config";
import type { LoadTestResult } from "@inference-fleet/load-test";

export const SLO_LABEL = "slo";

/** The SLO a result was judged against: its capacity search's, else its `slo` label's; undefined when it carries none. */
export function sloOf(result: LoadTestResult): Slo | undefined {
  if (result.capacity) return result.capacity.slo;
  const label = result.labels[SLO_LABEL];
  return label === undefined ? undefined : parseSloLabel(label);
}
