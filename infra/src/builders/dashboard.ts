/**
 * One CloudWatch dashboard per stack: throughput, latency percentiles (with the SLO line), errors and
 * rejections, CPU and memory per server (Container Insights), fleet node count.
 */
import type { FleetConfig } from "@inference-fleet/fleet-config";
import { SERVER_METRIC_NAMESPACE, SERVER_METRICS } from "./observability-agent.js";
import { quantileFor } from "./slo-alarms.js";
import { serverName } from "./server-pod.js";

const CONTAINER_INSIGHTS = "ContainerInsights";

type Metric = (string | Record<string, unknown>)[];

function widget(title: string, metrics: Metric[], x: number, y: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: "metric", x, y, width: 12, height: 6, properties: { title, view: "timeSeries", stat: "Sum", period: 60, metrics, ...extra } };
}

export function buildDashboardBody(config: FleetConfig, clusterName: string, region: string): Record<string, unknown> {
  const ns = config.namespace;
  const server = (metricName: string, ...dims: string[]): Metric => [SERVER_METRIC_NAMESPACE, metricName, "ClusterName", clusterName, "Namespace", ns, ...dims];
  const quantiles = [...new Set(["p50", config.loadTest.slo.percentile, "p99"])];
  const servers = Array.from({ length: config.server.numServers }, (_, i) => serverName(i));
  const perServer = (metricName: string): Metric[] =>
    servers.map((s) => [CONTAINER_INSIGHTS, metricName, "ClusterName", clusterName, "Namespace", ns, "PodName", s]);
  const base = { region };
  return {
    widgets: [
      widget("Throughput (requests per minute)", [server(SERVER_METRICS.requests)], 0, 0, base),
      widget(
        "Latency percentiles (s)",
        quantiles.map((q) => [...server(SERVER_METRICS.latency, "quantile", quantileFor(q)), { stat: "Maximum", label: q }]),
        12,
        0,
        {
          ...base,
          annotations: { horizontal: [{ label: `SLO ${config.loadTest.slo.percentile}`, value: config.loadTest.slo.thresholdMs / 1000 }] },
        },
      ),
      widget(
        "Errors and queue-full rejections (per minute)",
        [server(SERVER_METRICS.requests, "Outcome", "error"), server(SERVER_METRICS.requests, "status", "503")],
        0,
        6,
        base,
      ),
      widget("Queue depth", [[...server(SERVER_METRICS.queueDepth), { stat: "Maximum" }]], 12, 6, base),
      widget("CPU per server (% of limit)", perServer("pod_cpu_utilization_over_pod_limit"), 0, 12, { ...base, stat: "Average" }),
      widget("Memory per server (% of limit)", perServer("pod_memory_utilization_over_pod_limit"), 12, 12, { ...base, stat: "Average" }),
      widget("Nodes", [[CONTAINER_INSIGHTS, "cluster_node_count", "ClusterName", clusterName]], 0, 18, { ...base, stat: "Maximum" }),
    ],
  };
}
