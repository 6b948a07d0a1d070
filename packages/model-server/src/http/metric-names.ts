/**
 * The metric names the fleet's alarms and dashboard read (infra's CloudWatch agent config turns these series into
 * CloudWatch metrics): a contract of both servers, checked against each server's /metrics by the shared contract test.
 */
export const SERVER_METRIC_NAMES = {
  requests: "model_server_requests_total",
  latency: "model_server_request_latency_seconds",
  queueDepth: "model_server_queue_depth",
  modelLoad: "model_server_model_load_seconds",
  repositoryLoads: "model_server_repository_loads_total",
} as const;
