/**
 * Server autoscaling as pure functions: the replica counts a stack asks for, the queue depth per pod it
 * scales at, and the Kubernetes HorizontalPodAutoscaler's algorithm (the one KEDA's ScaledObjects drive in
 * the cluster), so a local autoscaler (`fleet local --autoscale`) decides exactly as the cluster would.
 *
 * The HPA's rules (kubernetes.io "Horizontal Pod Autoscaling", "Algorithm details" and "Stabilization window"):
 * desired = ceil(current x currentMetric / target); no change while the ratio is within the tolerance (0.1) of 1;
 * clamped to [min, max]; a scale-down takes the highest recommendation of the stabilisation window, so a
 * short dip does not remove a server that the next minute needs again. With several metrics the HPA takes the highest
 * of their recommendations (desiredReplicasOfMetrics).
 *
 * The primary metric is the request rate per pod, against capacityPerServer x targetUtilization (requestRateTarget):
 * it grows in proportion to the load below saturation, so after a scale-out the same load reads as the same total and
 * the rule keeps the count it chose. Queue depth (queueDepthTarget) reads about 0 until a pod saturates, so on its own
 * it scales back in right after a scale-out; it stays as the second metric, for a saturated pod whose served rate is
 * capped at its capacity.
 */
import type { FleetConfig } from "./schema.js";

/** The HPA's default tolerance (kube-controller-manager --horizontal-pod-autoscaler-tolerance). */
export const HPA_TOLERANCE = 0.1;

export interface DesiredReplicasInput {
  /** Replicas now (the Deployment's current replica count). */
  readonly current: number;
  /**
   * The metric of each pod that reported one. Pods counted in `current` without a sample (starting, not answering)
   * count as the HPA counts them: 0 when the others ask for more pods, the target when they ask for fewer, and no
   * change when that turns the direction round; so a pod still starting is not asked for twice.
   */
  readonly metricPerPod: readonly number[];
  /** The per-pod value to hold the metric at (a positive number). */
  readonly target: number;
  readonly min: number;
  readonly max: number;
  /** Ratios within this of 1 change nothing; default HPA_TOLERANCE. */
  readonly tolerance?: number;
}

/**
 * The HPA's recommendation before stabilisation: ceil(current x average / target) clamped to [min, max]; with
 * no samples, or a ratio within the tolerance, the current count (clamped). A stopped workload (current 0) starts
 * at max(min, 1) when any pod reports work, else stays at min.
 */
export function desiredReplicas(input: DesiredReplicasInput): number {
  const { current, metricPerPod, target, min, max } = input;
  const tolerance = input.tolerance ?? HPA_TOLERANCE;
  if (!(target > 0))
    throw new RangeError(`The autoscaling target must be a positive number, not ${target}: set a positive targetQueueDepth or capacityPerServer.`);
  if (!(min >= 0 && max >= min)) throw new RangeError(`The replica bounds must satisfy 0 <= min <= max, not min ${min}, max ${max}.`);
  const clamp = (replicas: number) => Math.min(max, Math.max(min, replicas));
  if (metricPerPod.length === 0) return clamp(current);
  const sum = metricPerPod.reduce((total, value) => total + value, 0);
  if (current === 0) return sum > 0 ? clamp(Math.max(min, 1)) : clamp(0);
  const ratio = sum / metricPerPod.length / target;
  if (Math.abs(ratio - 1) <= tolerance) return clamp(current);
  const missing = current - metricPerPod.length;
  if (missing <= 0) return clamp(Math.ceil(metricPerPod.length * ratio));
  // The HPA's replica calculator: missing pods at 0 on a scale-up, at the target on a scale-down.
  const padded = (sum + (ratio < 1 ? missing * target : 0)) / (current * target);
  if (Math.abs(padded - 1) <= tolerance || ratio < 1 !== padded < 1) return clamp(current);
  return clamp(Math.ceil(current * padded));
}

/** One metric's readings and the per-pod value to hold it at. */
interface MetricReadings {
  /** The metric of each pod that reported one. */
  readonly metricPerPod: readonly number[];
  readonly target: number;
}

export interface DesiredReplicasOfMetricsInput extends Omit<DesiredReplicasInput, "metricPerPod" | "target"> {
  readonly metrics: readonly MetricReadings[];
}

/**
 * The HPA with several metrics: each metric's desiredReplicas, and the highest of them. A metric with no samples
 * recommends the current count, so a blind metric never lets the others scale down (as the HPA skips a scale-down
 * when a metric is unavailable).
 */
export function desiredReplicasOfMetrics(input: DesiredReplicasOfMetricsInput): number {
  const { metrics, ...bounds } = input;
  if (metrics.length === 0) return Math.min(bounds.max, Math.max(bounds.min, bounds.current));
  return Math.max(...metrics.map((metric) => desiredReplicas({ ...bounds, ...metric })));
}

/** One recommendation of desiredReplicas, with when it was made. */
export interface Recommendation {
  readonly atMs: number;
  readonly replicas: number;
}

export interface StabilizeInput {
  readonly nowMs: number;
  /** This tick's desiredReplicas. */
  readonly recommendation: number;
  /** Earlier recommendations, as returned by the previous call (oldest first). */
  readonly history: readonly Recommendation[];
  /** The scale-down stabilisation window (autoscaling.scaleDownStabilizationSeconds). */
  readonly scaleDownWindowSeconds: number;
}

/**
 * The HPA's scale-down stabilisation: the replicas to set are the highest recommendation made within the window
 * (this one included), so scaling up is immediate and scaling down waits until the window has seen only lower
 * figures. Returns the replicas and the history to pass next time (recommendations older than the window dropped).
 */
export function stabilizeReplicas(input: StabilizeInput): { replicas: number; history: Recommendation[] } {
  const since = input.nowMs - input.scaleDownWindowSeconds * 1000;
  const history = [...input.history.filter((r) => r.atMs >= since && r.atMs <= input.nowMs), { atMs: input.nowMs, replicas: input.recommendation }];
  return { replicas: Math.max(...history.map((r) => r.replicas)), history };
}

/** Replicas of each server's Deployment: what it starts with and the bounds the autoscaler keeps it in. */
export interface ServerReplicas {
  readonly min: number;
  readonly max: number;
  /** What the Deployment (or `fleet plan`) starts with: min. */
  readonly initial: number;
  readonly autoscaled: boolean;
}

/**
 * Without autoscaling a server is one pod (two with cluster.ha, so each repository shard is on two nodes); with it,
 * between minReplicas and maxReplicas pods. Replicas serve the same shard: scaling never adds shards.
 */
export function serverReplicas(config: FleetConfig): ServerReplicas {
  const base = config.cluster.ha ? 2 : 1;
  const scaling = config.server.autoscaling;
  if (!scaling.enabled) return { min: base, max: base, initial: base, autoscaled: false };
  return { min: scaling.minReplicas, max: scaling.maxReplicas, initial: scaling.minReplicas, autoscaled: true };
}

export interface QueueDepthTarget {
  /** Requests waiting per pod (summed over its sessions) that the autoscaler holds the fleet at. */
  readonly perPod: number;
  readonly source: "stack" | "capacity" | "default";
  /** How the figure was found, for docs and `fleet plan`. */
  readonly reason: string;
}

/**
 * The queue depth per pod to scale at. A request that finds q requests waiting on a server that answers C per second
 * waits about q / C s before its own turn, so the SLO threshold T allows q <= C x T; the target keeps
 * loadTest.sizing.headroom of that spare: floor(C x T x (1 - headroom)), at least 1. C is autoscaling.capacityPerServer
 * (the capacity per server measured at the SLO: `fleet matrix`'s capacity per node over its servers per node). Without it the target is one full batch per pod
 * (server.maxBatch): past that a new request waits more than one run for its turn.
 */
export function queueDepthTarget(config: FleetConfig): QueueDepthTarget {
  const scaling = config.server.autoscaling;
  if (scaling.targetQueueDepth !== undefined) {
    return { perPod: scaling.targetQueueDepth, source: "stack", reason: "server.autoscaling.targetQueueDepth" };
  }
  if (scaling.capacityPerServer !== undefined) {
    const thresholdSeconds = config.loadTest.slo.thresholdMs / 1000;
    const headroom = config.loadTest.sizing.headroom;
    const perPod = Math.max(1, Math.floor(scaling.capacityPerServer * thresholdSeconds * (1 - headroom)));
    return {
      perPod,
      source: "capacity",
      reason:
        `capacity ${scaling.capacityPerServer} req/s per server x SLO ${config.loadTest.slo.thresholdMs} ms x (1 - headroom ` +
        `${headroom}) = ${perPod} waiting requests per pod`,
    };
  }
  return {
    perPod: config.server.maxBatch,
    source: "default",
    reason: `no measured capacity (server.autoscaling.capacityPerServer): one full batch (server.maxBatch ${config.server.maxBatch}) waiting per pod`,
  };
}

export interface RequestRateTarget {
  /** Inference requests per second per pod that the autoscaler holds the fleet at. */
  readonly perPod: number;
  /** How the figure was found, for docs and logs. */
  readonly reason: string;
}

/**
 * The request rate per pod to scale at: autoscaling.capacityPerServer x autoscaling.targetUtilization, so each pod runs
 * with 1 - targetUtilization of its measured capacity spare for the load that arrives before the next scale-out. Without
 * a measured capacity there is no rate to aim at: undefined, and the autoscaler scales on queue depth alone.
 */
export function requestRateTarget(config: FleetConfig): RequestRateTarget | undefined {
  const { capacityPerServer, targetUtilization } = config.server.autoscaling;
  if (capacityPerServer === undefined) return undefined;
  const perPod = capacityPerServer * targetUtilization;
  return { perPod, reason: `capacity ${capacityPerServer} req/s per server x targetUtilization ${targetUtilization} = ${perPod} req/s per pod` };
}
