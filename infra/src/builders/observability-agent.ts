/**
 * The amazon-cloudwatch-observability add-on's configuration: Container Insights on every node, plus a
 * deployment-mode CloudWatch agent on a system node that scrapes the servers' /metrics (port 9090) and
 * turns the series named in SERVER_METRICS into CloudWatch metrics (EMF).
 *
 * Facts (aws-observability/helm-charts amazon-cloudwatch-observability 6.4.0; aws/amazon-cloudwatch-agent
 * translator/config/schema.json; aws/amazon-cloudwatch-agent-operator internal/manifests/collector):
 * `agents` lists the AmazonCloudWatchAgent workloads, each merged over `agent`; an agent's
 * `prometheus.config` is mounted at /etc/prometheusconfig/prometheus.yaml, which the operator sets as
 * `logs.metrics_collected.prometheus.prometheus_config_path`; the agent drops Prometheus histograms.
 */
import { INFERENCE_ROUTES, SERVER_METRIC_NAMES } from "@inference-fleet/fleet-config";
import { OBSERVABILITY_RESOURCES, PROMETHEUS_AGENT_RESOURCES, type FleetConfig } from "@inference-fleet/fleet-config";
import { LABELS, METRICS_PORT, SERVER_APP } from "../constants.js";
import { SERVER_LABEL } from "./server-pod.js";
import { containerResources } from "./container-resources.js";

/** The add-on's namespace and the agents' ServiceAccount (the chart's defaults). */
export const OBSERVABILITY_NAMESPACE = "amazon-cloudwatch";
export const CLOUDWATCH_AGENT_SERVICE_ACCOUNT = "cloudwatch-agent";
const PROMETHEUS_AGENT_NAME = "cloudwatch-agent-prometheus";
/** The CloudWatch namespace the servers' metrics land in. */
export const SERVER_METRIC_NAMESPACE = "InferenceFleet/ModelServer";
const SCRAPE_JOB = "inference-fleet-model-servers";

/**
 * The server metrics that reach CloudWatch. Counters arrive as the delta since the last scrape.
 * `latency` must be a Prometheus summary: the agent drops histograms, so the servers'
 * model_server_request_duration_seconds histogram cannot be used (see infra/README.md).
 */
export const SERVER_METRICS = SERVER_METRIC_NAMES;

/** Prometheus scrape config: server pods in the fleet namespace, on their metrics port, with the labels EMF uses as dimensions. */
export function serverScrapeConfig(config: FleetConfig): Record<string, unknown> {
  const interval = `${config.observability.scrapeIntervalSeconds}s`;
  return {
    global: { scrape_interval: interval, scrape_timeout: "10s" },
    scrape_configs: [
      {
        job_name: SCRAPE_JOB,
        sample_limit: 10000,
        kubernetes_sd_configs: [{ role: "pod", namespaces: { names: [config.namespace] } }],
        relabel_configs: [
          { source_labels: [`__meta_kubernetes_pod_label_${promLabel(LABELS.app)}`], action: "keep", regex: SERVER_APP },
          { source_labels: ["__meta_kubernetes_pod_container_port_number"], action: "keep", regex: String(METRICS_PORT) },
          { source_labels: ["__meta_kubernetes_namespace"], target_label: "Namespace" },
          { source_labels: ["__meta_kubernetes_pod_name"], target_label: "PodName" },
          { source_labels: [`__meta_kubernetes_pod_label_${promLabel(SERVER_LABEL)}`], target_label: "Server" },
        ],
        metric_relabel_configs: [
          // One coarse label for the error rate: 4xx and 5xx answers are errors, as k6 counts them.
          { source_labels: ["status"], regex: "[45]..", target_label: "Outcome", replacement: "error" },
          { source_labels: ["status"], regex: "[123]..", target_label: "Outcome", replacement: "ok" },
        ],
      },
    ],
  };
}

/** A literal in the agent's (Go RE2) regular expressions. */
function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Prometheus spells a Kubernetes label name with every non [a-zA-Z0-9_] character as "_". */
function promLabel(label: string): string {
  return label.replace(/[^a-zA-Z0-9_]/g, "_");
}

/** The scraping agent's own config: Prometheus into the EMF log group, with one declaration per metric family. */
export function prometheusAgentConfig(config: FleetConfig, clusterName: string): Record<string, unknown> {
  const job = { source_labels: ["job"], label_matcher: `^${SCRAPE_JOB}$` };
  const byNamespace = ["ClusterName", "Namespace"];
  return {
    // The agent pod cannot read the region from IMDS (hop limit 1), and the add-on's chart fills agent.region in only
    // for its own kubernetes/application_signals configs in older releases: without it the agent stops with
    // "Region info is missing".
    agent: { region: config.region },
    logs: {
      metrics_collected: {
        prometheus: {
          cluster_name: clusterName,
          log_group_name: prometheusLogGroupName(clusterName),
          emf_processor: {
            metric_namespace: SERVER_METRIC_NAMESPACE,
            metric_declaration_dedup: true,
            metric_unit: { [SERVER_METRICS.latency]: "Seconds", [SERVER_METRICS.modelLoad]: "Seconds", [SERVER_METRICS.requests]: "Count" },
            metric_declaration: [
              {
                ...job,
                dimensions: [byNamespace, [...byNamespace, "Outcome"], [...byNamespace, "status"]],
                metric_selectors: [`^${SERVER_METRICS.requests}$`],
              },
              {
                // Inference requests per Server (each minute's Sum is that server's pods' requests): KEDA's request-rate
                // trigger reads it; health probes and metadata are not load, so only the inference routes count.
                source_labels: ["job", "route"],
                label_matcher: `^${SCRAPE_JOB};(${[...INFERENCE_ROUTES].map(escapeRegex).join("|")})$`,
                dimensions: [[...byNamespace, "Server"]],
                metric_selectors: [`^${SERVER_METRICS.requests}$`],
              },
              {
                ...job,
                dimensions: [
                  [...byNamespace, "quantile"],
                  [...byNamespace, "Server", "quantile"],
                ],
                metric_selectors: [`^${SERVER_METRICS.latency}$`],
              },
              {
                ...job,
                dimensions: [byNamespace, [...byNamespace, "Server"]],
                metric_selectors: [`^${SERVER_METRICS.queueDepth}$`, `^${SERVER_METRICS.modelLoad}$`, `^${SERVER_METRICS.repositoryLoads}$`],
              },
            ],
          },
        },
      },
    },
  };
}

/** Where the agent writes the EMF events (CloudWatch extracts the metrics from them). */
export function prometheusLogGroupName(clusterName: string): string {
  return `/aws/containerinsights/${clusterName}/prometheus`;
}

/** The add-on's configurationValues (the chart's values): Container Insights agents, logs on or off, our scraping agent. */
export function observabilityAddonValues(config: FleetConfig, clusterName: string): Record<string, unknown> {
  return {
    containerLogs: { enabled: config.observability.containerLogs },
    agent: { resources: containerResources(OBSERVABILITY_RESOURCES.agent) },
    agents: [
      { name: CLOUDWATCH_AGENT_SERVICE_ACCOUNT },
      {
        name: PROMETHEUS_AGENT_NAME,
        mode: "deployment",
        replicas: 1,
        // On the pod network, so the fleet's NetworkPolicy can admit it by namespace.
        hostNetwork: false,
        nodeSelector: { [LABELS.nodeRole]: "system" },
        resources: containerResources(PROMETHEUS_AGENT_RESOURCES),
        config: prometheusAgentConfig(config, clusterName),
        prometheus: { config: serverScrapeConfig(config) },
      },
    ],
  };
}
