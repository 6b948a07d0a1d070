// The scaling rule, once: the Kubernetes HorizontalPodAutoscaler's formula over a per-server metric, and its
// scale-down stabilisation. `fleet local --autoscale` runs it over servers on loopback; infra's HPA applies the
// same rule in the cluster, so what a local run shows is what the cluster would decide from the same metric.
// Pure functions with no clock: callers pass the time, so tests drive them with a fake one.

export interface DesiredReplicasInput {
  /** Servers running now (at least 1). */
  readonly current: number;
  /** The metric as each ready server reported it (e.g. requests in flight); servers that did not answer are left out. */
  readonly perPodMetric: readonly number[];
  /** The metric's target per server: the rule aims at mean(perPodMetric) = target. */
  readonly target: number;
  readonly min: number;
  readonly max: number;
  /** No change while mean/target is within this share of 1 (the HPA's default: 0.1). */
  readonly tolerance?: number;
}

/**
 * The HPA's recommendation: clamp(ceil(current x mean / target), min, max), unchanged while |mean / target - 1| is
 * within the tolerance. With no metric at all it keeps `current` (clamped): no data is no reason to scale.
 */
export function desiredReplicas({ current, perPodMetric, target, min, max, tolerance = 0.1 }: DesiredReplicasInput): number {
  if (!(target > 0)) throw new Error(`The autoscaling target must be above 0, got ${target}.`);
  if (!(Number.isInteger(min) && min >= 1 && Number.isInteger(max) && max >= min)) {
    throw new Error(`The replica bounds must be whole numbers with 1 <= min <= max, got min ${min} and max ${max}.`);
  }
  const clamp = (n: number) => Math.min(max, Math.max(min, n));
  if (perPodMetric.length === 0) return clamp(current);
  const mean = perPodMetric.reduce((sum, value) => sum + value, 0) / perPodMetric.length;
  const ratio = mean / target;
  if (Math.abs(ratio - 1) <= tolerance) return clamp(current);
  return clamp(Math.ceil(current * ratio));
}

/** One recommendation and when it was made (seconds on the caller's clock). */
export interface Recommendation {
  readonly atSeconds: number;
  readonly replicas: number;
}

/**
 * Scale-down stabilisation (the HPA's behavior.scaleDown.stabilizationWindowSeconds): the highest recommendation made
 * within the last `windowSeconds` (up to and including `now`), so a brief lull does not remove servers that the next
 * burst needs. Scaling up is not held back: the newest recommendation is in the window. Undefined for an empty window.
 */
export function stabilizedReplicas(history: readonly Recommendation[], windowSeconds: number, now: number): number | undefined {
  let highest: number | undefined;
  for (const { atSeconds, replicas } of history) {
    if (atSeconds > now || atSeconds < now - windowSeconds) continue;
    if (highest === undefined || replicas > highest) highest = replicas;
  }
  return highest;
}
