/**
 * Server autoscaling with KEDA (kedacore/charts keda 2.20.2, app v2.20.2): one ScaledObject per server Deployment
 * with aws-cloudwatch triggers on what the CloudWatch agent publishes by ClusterName, Namespace, Server in
 * InferenceFleet/ModelServer: the inference requests (model_server_requests_total, when the stack has a measured
 * capacityPerServer) and the queue depth (model_server_queue_depth); and a TriggerAuthentication that lets the KEDA
 * operator read CloudWatch with its own Pod Identity role. KEDA turns each ScaledObject into an HPA, which takes the
 * highest of its triggers' recommendations: the rule is fleet-config's `desiredReplicasOfMetrics`, and the replicas
 * serve the server's own shard.
 *
 * Facts (kedacore/keda v2.20.2 pkg/scalers/aws_cloudwatch_scaler.go): GetMetricData over [end - metricCollectionTime,
 * end], end = (now - metricEndTimeOffset) truncated to metricStatPeriod, newest datapoint first; minMetricValue is
 * required and is used when there is no datapoint; metricStatPeriod <= 60 must be 1, 5, 10, 30 or 60.
 */
import { KEDA_RESOURCES, queueDepthTarget, requestRateTarget, serverReplicas, type FleetConfig } from "@inference-fleet/fleet-config";
import { LABELS } from "../constants.js";
import type { PolicyDocument } from "./iam-documents.js";
import { SERVER_METRIC_NAMESPACE, SERVER_METRICS } from "./observability-agent.js";
import { SERVER_LABEL, serverLabels, serverName } from "./server-pod.js";
import { containerResources } from "./container-resources.js";

export const KEDA = {
  chart: "keda",
  repository: "https://kedacore.github.io/charts",
  version: "2.20.2",
  namespace: "keda",
  /** The operator queries the scalers (CloudWatch here); the Pod Identity association is for it. */
  serviceAccount: "keda-operator",
  apiVersion: "keda.sh/v1alpha1",
} as const;

/** The TriggerAuthentication every ScaledObject uses: the KEDA operator's own AWS identity (Pod Identity). */
const KEDA_AUTHENTICATION = "keda-aws-operator-identity";

/** KEDA pauses a ScaledObject at this replica count (keda.sh "Pause autoscaling"): cluster.idle uses 0. */
export const PAUSED_REPLICAS_ANNOTATION = "autoscaling.keda.sh/paused-replicas";

/** The scaler reads one standard-resolution minute; the last minute is skipped, since EMF may not have landed yet. */
const PERIOD_SECONDS = 60;
const END_OFFSET_SECONDS = 60;
/** How often KEDA asks CloudWatch (each ask is one GetMetricData metric: about $0.43 per server per 30 days at 30 s). */
const POLLING_INTERVAL_SECONDS = 30;

type Metadata = { name: string; namespace: string; labels: Record<string, string>; annotations?: Record<string, string> };

export interface ScaledObject {
  apiVersion: string;
  kind: "ScaledObject";
  metadata: Metadata;
  spec: Record<string, unknown>;
}

/**
 * The queue-depth trigger's target in the units CloudWatch gives: the minute's Sum adds every scrape of every pod and session, so
 * a queue of q per pod sums to q x (60 / scrape interval) per pod; AverageValue has the HPA divide by the replicas.
 */
export function scalerTargetValue(config: FleetConfig): number {
  const scrapesPerMinute = PERIOD_SECONDS / config.observability.scrapeIntervalSeconds;
  return queueDepthTarget(config).perPod * scrapesPerMinute;
}

/**
 * The request-rate trigger's target in CloudWatch's units: the agent sends a counter as its delta since the last scrape,
 * so the minute's Sum is the requests of that minute; requestRateTarget's req/s per pod x 60. Undefined without a
 * measured capacity (no rate trigger then).
 */
export function requestRateScalerTarget(config: FleetConfig): number | undefined {
  const rate = requestRateTarget(config);
  return rate === undefined ? undefined : Math.round(rate.perPod * PERIOD_SECONDS);
}

/** One aws-cloudwatch trigger on a server metric's per-minute Sum for this server, held at `target` per pod. */
function serverMetricTrigger(config: FleetConfig, dimensionValue: string, metricName: string, target: number): Record<string, unknown> {
  return {
    type: "aws-cloudwatch",
    metricType: "AverageValue",
    authenticationRef: { name: KEDA_AUTHENTICATION },
    metadata: {
      namespace: SERVER_METRIC_NAMESPACE,
      metricName,
      dimensionName: "ClusterName;Namespace;Server",
      dimensionValue,
      metricStat: "Sum",
      metricStatPeriod: String(PERIOD_SECONDS),
      metricCollectionTime: String(3 * PERIOD_SECONDS),
      metricEndTimeOffset: String(END_OFFSET_SECONDS),
      targetMetricValue: String(target),
      // No datapoint (no scrape landed yet): no load, so no scale-up on missing data.
      minMetricValue: "0",
      awsRegion: config.region,
    },
  };
}

/** Server `index`'s ScaledObject: its Deployment between minReplicas and maxReplicas, on its own request rate and queue depth. */
export function buildScaledObject(config: FleetConfig, namespace: string, index: number, clusterName: string): ScaledObject {
  const replicas = serverReplicas(config);
  const labels = serverLabels(config, index);
  const scaleDown = config.server.autoscaling.scaleDownStabilizationSeconds;
  const dimensionValue = `${clusterName};${namespace};${labels[SERVER_LABEL]}`;
  const rateTarget = requestRateScalerTarget(config);
  return {
    apiVersion: KEDA.apiVersion,
    kind: "ScaledObject",
    metadata: {
      name: serverName(index),
      namespace,
      labels,
      // cluster.idle: every server at 0 and KEDA paused, so the autoscaler can remove the fleet nodes.
      ...(config.cluster.idle ? { annotations: { [PAUSED_REPLICAS_ANNOTATION]: "0" } } : {}),
    },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: serverName(index) },
      pollingInterval: POLLING_INTERVAL_SECONDS,
      minReplicaCount: replicas.min,
      maxReplicaCount: replicas.max,
      advanced: {
        horizontalPodAutoscalerConfig: {
          name: serverName(index),
          behavior: {
            // Up at once (a queue means latency now); down only after the window saw nothing higher, one pod a minute.
            scaleUp: { stabilizationWindowSeconds: 0 },
            scaleDown: { stabilizationWindowSeconds: scaleDown, policies: [{ type: "Pods", value: 1, periodSeconds: 60 }] },
          },
        },
      },
      triggers: [
        ...(rateTarget === undefined ? [] : [serverMetricTrigger(config, dimensionValue, SERVER_METRICS.requests, rateTarget)]),
        serverMetricTrigger(config, dimensionValue, SERVER_METRICS.queueDepth, scalerTargetValue(config)),
      ],
    },
  };
}

/** The operator's identity: provider aws (EKS Pod Identity or IRSA, whichever the operator's ServiceAccount has). */
export function buildTriggerAuthentication(namespace: string): {
  apiVersion: string;
  kind: "TriggerAuthentication";
  metadata: { name: string; namespace: string };
  spec: Record<string, unknown>;
} {
  return {
    apiVersion: KEDA.apiVersion,
    kind: "TriggerAuthentication",
    metadata: { name: KEDA_AUTHENTICATION, namespace },
    spec: { podIdentity: { provider: "aws" } },
  };
}

/** What the KEDA operator may do in AWS: read CloudWatch metrics (GetMetricData has no resource-level permissions). */
export function kedaOperatorPolicy(): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [{ Sid: "ReadServerMetrics", Effect: "Allow", Action: ["cloudwatch:GetMetricData"], Resource: "*" }],
  };
}

/** The chart's values: its three Deployments (KEDA_COMPONENTS) on a system node with the requests `fleet plan` counts. */
export function kedaValues(): Record<string, unknown> {
  const resources = containerResources(KEDA_RESOURCES);
  return {
    nodeSelector: { [LABELS.nodeRole]: "system" },
    resources: { operator: resources, metricServer: resources, webhooks: resources },
    serviceAccount: { operator: { create: true, name: KEDA.serviceAccount } },
  };
}
