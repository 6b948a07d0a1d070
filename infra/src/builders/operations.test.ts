import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { listStacks, loadStackConfig } from "@inference-fleet/fleet-config";
import { clusterAutoscalerPolicy, loadBalancerControllerPolicy, wildcardActions } from "./addon-iam.js";
import { nodeTemplateTags } from "./cluster-autoscaler.js";
import { planNodeGroups } from "./node-groups.js";
import { observabilityAddonValues, prometheusAgentConfig, serverScrapeConfig } from "./observability-agent.js";
import { buildSloAlarms, quantileFor } from "./slo-alarms.js";

const agentSchema = JSON.parse(readFileSync(new URL("../testing/cloudwatch-agent-prometheus.schema.json", import.meta.url), "utf8"));

/** The add-on's configurationValues are the chart's values: every key we set must be one the chart (6.4.0) reads. */
describe("the observability add-on's configurationValues", () => {
  const chart = parseYaml(readFileSync(new URL("../testing/amazon-cloudwatch-observability-6.4.0.values.yaml", import.meta.url), "utf8")) as Record<
    string,
    Record<string, unknown>
  >;
  /** Keys of `ours` missing from `theirs`, one level down into the objects both have (free-form maps such as nodeSelector stop there). */
  const unknownKeys = (ours: Record<string, unknown>, theirs: Record<string, unknown>, at: string): string[] =>
    Object.entries(ours).flatMap(([key, value]) => {
      if (!(key in theirs)) return [`${at}${key}`];
      const known = theirs[key];
      const nested = value && known && typeof value === "object" && typeof known === "object" && !Array.isArray(value) && Object.keys(known).length > 0;
      return nested && !["nodeSelector", "resources", "config"].includes(key)
        ? unknownKeys(value as Record<string, unknown>, known as Record<string, unknown>, `${at}${key}.`)
        : [];
    });

  it.each(listStacks())("for %s, uses only keys the chart defines (agents entries are merged over `agent`)", (stack) => {
    const values = observabilityAddonValues(loadStackConfig(stack, { env: {} }), "c") as { agents: Record<string, unknown>[] } & Record<string, unknown>;
    const { agents, ...top } = values;
    expect(unknownKeys(top, chart, "")).toEqual([]);
    for (const agent of agents) expect(unknownKeys(agent, chart["agent"]!, "agents[].")).toEqual([]);
  });

  it("fails on a key the chart does not read, so the check can fail", () => {
    expect(unknownKeys({ agent: { resourcez: {} } }, chart, "")).toEqual(["agent.resourcez"]);
  });
});

describe("the CloudWatch agent's Prometheus configuration", () => {
  const config = loadStackConfig("c7g", { env: {} });
  it("validates against the agent's own JSON schema (aws/amazon-cloudwatch-agent translator/config/schema.json)", () => {
    const validate = new Ajv({ strict: false }).compile(agentSchema);
    expect(validate(prometheusAgentConfig(config, "inference-fleet-c7g")), JSON.stringify(validate.errors)).toBe(true);
  });
  it("names the region itself: the pod cannot read it from IMDS (hop limit 1)", () => {
    expect(prometheusAgentConfig(config, "inference-fleet-c7g")).toMatchObject({ agent: { region: config.region } });
  });
  it("fails that schema when a declaration has a misspelled key, so the check can fail", () => {
    const validate = new Ajv({ strict: false }).compile(agentSchema);
    const bad = prometheusAgentConfig(config, "x") as any;
    bad.logs.metrics_collected.prometheus.emf_processor.metric_declaration[0].metric_selector = ["^x$"];
    expect(validate(bad)).toBe(false);
  });
  it("publishes each server's inference requests, not its probes, for KEDA's request-rate trigger", () => {
    type Declaration = { source_labels: string[]; label_matcher: string; dimensions: string[][]; metric_selectors: string[] };
    const declarations = (prometheusAgentConfig(config, "x") as any).logs.metrics_collected.prometheus.emf_processor.metric_declaration as Declaration[];
    const perServer = declarations.filter(
      (d) => d.metric_selectors.includes("^model_server_requests_total$") && d.dimensions.some((set) => set.includes("Server")),
    );
    expect(perServer).toHaveLength(1);
    const [declaration] = perServer;
    expect(declaration!.dimensions).toEqual([["ClusterName", "Namespace", "Server"]]);
    expect(declaration!.source_labels).toEqual(["job", "route"]);
    // The agent joins the source labels' values with ";" and matches the whole string.
    const matches = (route: string) => new RegExp(declaration!.label_matcher).test(`inference-fleet-model-servers;${route}`);
    expect(["/predictions/:model", "/v2/models/:model/infer"].map(matches)).toEqual([true, true]);
    expect(["/health", "/v2/health/ready", "unmatched", "/v2/models/:model"].map(matches)).toEqual([false, false, false, false]);
  });
  it("keeps only server pods in the fleet namespace, on the metrics port", () => {
    const job = (serverScrapeConfig(config).scrape_configs as any[])[0];
    expect(job.kubernetes_sd_configs[0].namespaces.names).toEqual([config.namespace]);
    expect(job.relabel_configs).toContainEqual({ source_labels: ["__meta_kubernetes_pod_container_port_number"], action: "keep", regex: "9090" });
  });
  it("runs the scraping agent as a one-replica deployment on a system node, Fluent Bit only when asked", () => {
    const values = observabilityAddonValues(config, "c") as any;
    expect(values.agents[1]).toMatchObject({ mode: "deployment", replicas: 1, nodeSelector: { "inference-fleet.io/role": "system" } });
    expect(values.containerLogs.enabled).toBe(false);
  });
});

describe.each(["dev", "c7i", "c7g", "g5", "inf2"])("SLO alarms for stack %s", (stack) => {
  const config = loadStackConfig(stack, { env: {} });
  const alarms = buildSloAlarms(config, "cluster");
  it("has one alarm per SLO term with the stack's own thresholds", () => {
    expect(alarms.map((a) => a.term)).toEqual(["latency", "errorRate", "rejections"]);
    expect(alarms[0]!.threshold).toBe(config.loadTest.slo.thresholdMs / 1000);
    expect(alarms[0]!.metricQueries[0]!.metric!.dimensions.quantile).toBe(quantileFor(config.loadTest.slo.percentile));
    expect(alarms[1]!.threshold).toBe(config.loadTest.slo.maxErrorRate);
    expect(alarms[2]!.metricQueries[0]!.metric!.dimensions.status).toBe("503");
  });
});

describe("add-on IAM policies", () => {
  it("uses the load balancer controller policy AWS publishes, which names every action", () => {
    const policy = loadBalancerControllerPolicy("v3.5.0");
    expect(policy.Statement).toHaveLength(16);
    expect(wildcardActions(policy)).toEqual([]);
  });
  it("limits the autoscaler's scaling actions to this cluster's tagged groups", () => {
    const policy = clusterAutoscalerPolicy("inference-fleet-c7g");
    expect(wildcardActions(policy)).toEqual([]);
    expect(policy.Statement[1]!.Condition).toEqual({ StringEquals: { "aws:ResourceTag/k8s.io/cluster-autoscaler/inference-fleet-c7g": "owned" } });
  });
});

describe("node-template tags for scaling up from zero", () => {
  it("carry the fleet's labels, taints and, on inf2, the Neuron devices the autoscaler cannot derive", () => {
    const config = loadStackConfig("inf2", { env: {} });
    const fleet = planNodeGroups(config).find((p) => p.role === "fleet")!;
    const tags = nodeTemplateTags(fleet);
    expect(tags).toMatchObject({
      "k8s.io/cluster-autoscaler/node-template/label/node.kubernetes.io/instance-type": "inf2.xlarge",
      "k8s.io/cluster-autoscaler/node-template/taint/inference-fleet.io/dedicated": "fleet:NoSchedule",
      "k8s.io/cluster-autoscaler/node-template/taint/aws.amazon.com/neuron": "true:NoSchedule",
      "k8s.io/cluster-autoscaler/node-template/resources/aws.amazon.com/neuron": "1",
      "k8s.io/cluster-autoscaler/node-template/resources/aws.amazon.com/neuroncore": "2",
    });
  });

  it("give what one node offers, not what one pod asks for (an inf2.48xlarge has 12 Neuron devices)", () => {
    const config = loadStackConfig("inf2", { env: { FLEET_INSTANCE_TYPE: "inf2.48xlarge" } });
    const fleet = planNodeGroups(config).find((p) => p.role === "fleet")!;
    expect(nodeTemplateTags(fleet)["k8s.io/cluster-autoscaler/node-template/resources/aws.amazon.com/neuron"]).toBe("12");
  });
});
