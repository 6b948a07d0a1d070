/**
 * CloudWatch alarms derived from the stack's SLO, one per term: latency at the SLO percentile over the
 * threshold, error rate over the budget, and sustained queue-full rejections (HTTP 503). Plain data, so
 * tests and the policy pack read what the program creates.
 */
import type { FleetConfig } from "@inference-fleet/fleet-config";
import { SERVER_METRIC_NAMESPACE, SERVER_METRICS } from "./observability-agent.js";

type SloTerm = "latency" | "errorRate" | "rejections";

interface MetricQuery {
  id: string;
  expression?: string;
  label?: string;
  returnData?: boolean;
  metric?: { namespace: string; metricName: string; dimensions: Record<string, string>; period: number; stat: string };
}

export interface AlarmSpec {
  readonly term: SloTerm;
  readonly description: string;
  readonly threshold: number;
  readonly comparisonOperator: "GreaterThanThreshold";
  readonly evaluationPeriods: number;
  readonly treatMissingData: "notBreaching";
  readonly metricQueries: MetricQuery[];
}

const PERIOD = 60;

/** The summary quantile label for an SLO percentile ("p90" -> "0.9"). */
export function quantileFor(percentile: string): string {
  return String(Number(percentile.slice(1)) / 100);
}

/** One alarm per SLO term for the fleet in `namespace` of `clusterName`. */
export function buildSloAlarms(config: FleetConfig, clusterName: string): AlarmSpec[] {
  const { slo } = config.loadTest;
  const { evaluationMinutes, rejectionsPerMinute } = config.observability.alarms;
  const dims = { ClusterName: clusterName, Namespace: config.namespace };
  const metric = (id: string, metricName: string, extra: Record<string, string>, stat: string, returnData: boolean): MetricQuery => ({
    id,
    returnData,
    metric: { namespace: SERVER_METRIC_NAMESPACE, metricName, dimensions: { ...dims, ...extra }, period: PERIOD, stat },
  });
  const common = { comparisonOperator: "GreaterThanThreshold" as const, evaluationPeriods: evaluationMinutes, treatMissingData: "notBreaching" as const };
  return [
    {
      ...common,
      term: "latency",
      description: `${slo.percentile} latency over ${slo.thresholdMs} ms for ${evaluationMinutes} min (stack ${config.stack} SLO)`,
      threshold: slo.thresholdMs / 1000,
      metricQueries: [metric("latency", SERVER_METRICS.latency, { quantile: quantileFor(slo.percentile) }, "Maximum", true)],
    },
    {
      ...common,
      term: "errorRate",
      description: `error rate over ${slo.maxErrorRate} for ${evaluationMinutes} min (stack ${config.stack} SLO)`,
      threshold: slo.maxErrorRate,
      metricQueries: [
        metric("errors", SERVER_METRICS.requests, { Outcome: "error" }, "Sum", false),
        metric("requests", SERVER_METRICS.requests, {}, "Sum", false),
        { id: "errorRate", expression: "IF(requests > 0, FILL(errors, 0) / requests, 0)", label: "error rate", returnData: true },
      ],
    },
    {
      ...common,
      term: "rejections",
      description: `more than ${rejectionsPerMinute} queue-full rejections (503) per minute for ${evaluationMinutes} min`,
      threshold: rejectionsPerMinute,
      metricQueries: [metric("rejections", SERVER_METRICS.requests, { status: "503" }, "Sum", true)],
    },
  ];
}
