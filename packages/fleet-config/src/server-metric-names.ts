// The servers' metrics contract, one copy here, where both servers' code, the load generator and infra reach it.

/**
 * The metric names the fleet's alarms, dashboard and autoscalers read (infra's CloudWatch agent config turns these series into
 * CloudWatch metrics): a contract of both servers, checked against each server's /metrics by the shared contract test.
 */
export const SERVER_METRIC_NAMES = {
  requests: "model_server_requests_total",
  latency: "model_server_request_latency_seconds",
  queueDepth: "model_server_queue_depth",
  modelLoad: "model_server_model_load_seconds",
  repositoryLoads: "model_server_repository_loads_total",
} as const;

/**
 * The route labels of the routes that run the model: the SLO's latency and the autoscaler's request rate count these
 * (health, metadata and unmatched requests are not load). The Neuron server labels its routes the same.
 */
export const INFERENCE_ROUTES: ReadonlySet<string> = new Set(["/predictions/:model", "/v2/models/:model/infer"]);
