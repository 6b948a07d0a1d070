import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { listStacks, loadStackConfig, queueDepthTarget } from "@inference-fleet/fleet-config";
import { crdValidator } from "../testing/kubernetes-schema.js";
import { wildcardActions } from "./addon-iam.js";
import {
  buildScaledObject,
  buildTriggerAuthentication,
  KEDA,
  kedaOperatorPolicy,
  kedaValues,
  PAUSED_REPLICAS_ANNOTATION,
  requestRateScalerTarget,
  scalerTargetValue,
} from "./keda.js";

const scaledObjectSchema = crdValidator("keda-2.20.2/keda.sh_scaledobjects.yaml", "v1alpha1");
const triggerAuthSchema = crdValidator("keda-2.20.2/keda.sh_triggerauthentications.yaml", "v1alpha1");
const autoscaled = (stack: string, env: Record<string, string> = {}) => loadStackConfig(stack, { env: { FLEET_SERVER_AUTOSCALING_ENABLED: "true", ...env } });
type Trigger = { type: string; metricType: string; metadata: Record<string, string>; authenticationRef: { name: string } };

describe.each(listStacks().filter((stack) => !stack.startsWith("dev-")))("the ScaledObjects of stack %s with autoscaling on", (stack) => {
  const config = autoscaled(stack);
  const object = buildScaledObject(config, config.namespace, 1, "inference-fleet-x");
  const spec = object.spec as { scaleTargetRef: { name: string }; minReplicaCount: number; maxReplicaCount: number; triggers: Trigger[] };

  it("validate against KEDA 2.20.2's published ScaledObject CRD", () => {
    expect(scaledObjectSchema({ ...object }), JSON.stringify(scaledObjectSchema.errors)).toBe(true);
  });

  it("scale the server's own Deployment (its shard) between minReplicas and maxReplicas", () => {
    expect(spec.scaleTargetRef.name).toBe("server1");
    expect([spec.minReplicaCount, spec.maxReplicaCount]).toEqual([config.server.autoscaling.minReplicas, config.server.autoscaling.maxReplicas]);
  });

  it("read that server's queue depth from CloudWatch with a per-pod target derived from the stack", () => {
    const trigger = spec.triggers.find((t) => t.metadata["metricName"] === "model_server_queue_depth");
    expect(trigger).toMatchObject({ type: "aws-cloudwatch", metricType: "AverageValue" });
    expect(trigger!.metadata).toMatchObject({
      namespace: "InferenceFleet/ModelServer",
      metricName: "model_server_queue_depth",
      dimensionName: "ClusterName;Namespace;Server",
      dimensionValue: `inference-fleet-x;${config.namespace};server1`,
      metricStat: "Sum",
      awsRegion: config.region,
    });
    const scrapesPerMinute = 60 / config.observability.scrapeIntervalSeconds;
    expect(Number(trigger!.metadata["targetMetricValue"])).toBe(queueDepthTarget(config).perPod * scrapesPerMinute);
  });
});

describe.each(listStacks().filter((stack) => !stack.startsWith("dev-")))("stack %s with a measured capacity per server", (stack) => {
  const config = autoscaled(stack, { FLEET_SERVER_AUTOSCALING_CAPACITY_PER_SERVER: "250" });
  const object = buildScaledObject(config, config.namespace, 0, "inference-fleet-x");
  const triggers = (object.spec as { triggers: Trigger[] }).triggers;

  it("also scales on the server's inference requests, valid against KEDA's CRD", () => {
    expect(scaledObjectSchema({ ...object }), JSON.stringify(scaledObjectSchema.errors)).toBe(true);
    expect(triggers.map((t) => t.metadata["metricName"])).toEqual(["model_server_requests_total", "model_server_queue_depth"]);
    expect(triggers[0]).toMatchObject({ type: "aws-cloudwatch", metricType: "AverageValue" });
    expect(triggers[0]!.metadata).toMatchObject({
      namespace: "InferenceFleet/ModelServer",
      dimensionName: "ClusterName;Namespace;Server",
      dimensionValue: `inference-fleet-x;${config.namespace};server0`,
      metricStat: "Sum",
      metricStatPeriod: "60",
    });
    // 250 req/s x targetUtilization 0.7 = 175 req/s per pod: 10,500 requests in a minute's Sum.
    expect(Number(triggers[0]!.metadata["targetMetricValue"])).toBe(10_500);
  });
});

describe("the scaler's target", () => {
  it("on the request rate follows capacityPerServer x targetUtilization, per minute, and is absent without a capacity", () => {
    const env = { FLEET_SERVER_AUTOSCALING_CAPACITY_PER_SERVER: "250", FLEET_SERVER_AUTOSCALING_TARGET_UTILIZATION: "0.5" };
    expect(requestRateScalerTarget(autoscaled("c7i", env))).toBe(7500);
    expect(requestRateScalerTarget(autoscaled("c7i"))).toBeUndefined();
    expect((buildScaledObject(autoscaled("c7i"), "fleet", 0, "c").spec as { triggers: Trigger[] }).triggers).toHaveLength(1);
  });

  it("follows the measured capacity when the stack has one", () => {
    // 250 req/s x 0.1 s x 0.8 = 20 per pod; 2 scrapes a minute
    const config = autoscaled("c7i", { FLEET_SERVER_AUTOSCALING_CAPACITY_PER_SERVER: "250" });
    expect(scalerTargetValue(config)).toBe(40);
  });

  it("falls back to one batch per pod", () => {
    expect(scalerTargetValue(autoscaled("c7i"))).toBe(4 * 2);
  });
});

describe("the CRD check", () => {
  it("fails on a misspelt field and a wrong type, so it can fail", () => {
    const object = buildScaledObject(autoscaled("c7i"), "fleet", 0, "c");
    expect(scaledObjectSchema({ ...object, spec: { ...object.spec, minReplicas: 1 } })).toBe(false);
    expect(scaledObjectSchema({ ...object, spec: { ...object.spec, maxReplicaCount: "3" } })).toBe(false);
    expect(scaledObjectSchema({ ...object, spec: { ...object.spec, scaleTargetRef: {} } })).toBe(false);
  });

  it("accepts the TriggerAuthentication and refuses an unknown identity provider", () => {
    const auth = buildTriggerAuthentication("fleet");
    expect(triggerAuthSchema(auth), JSON.stringify(triggerAuthSchema.errors)).toBe(true);
    expect(triggerAuthSchema({ ...auth, spec: { podIdentity: { provider: "aws-pod-identity" } } })).toBe(false);
  });
});

describe("idle and KEDA itself", () => {
  it("pauses every server at zero when the stack is idle", () => {
    const object = buildScaledObject(autoscaled("c7i", { FLEET_CLUSTER_IDLE: "true" }), "fleet", 0, "c");
    expect(object.metadata.annotations).toEqual({ [PAUSED_REPLICAS_ANNOTATION]: "0" });
    expect(buildScaledObject(autoscaled("c7i"), "fleet", 0, "c").metadata.annotations).toBeUndefined();
  });

  it("pins the chart and sets only values the chart defines", () => {
    expect(KEDA).toMatchObject({ chart: "keda", version: "2.20.2", repository: "https://kedacore.github.io/charts" });
    const chart = parseYaml(readFileSync(new URL("../testing/keda-2.20.2/values.yaml", import.meta.url), "utf8")) as Record<string, Record<string, unknown>>;
    const values = kedaValues() as Record<string, Record<string, unknown>>;
    for (const [key, value] of Object.entries(values)) {
      expect(chart, key).toHaveProperty([key]);
      if (key !== "nodeSelector") for (const sub of Object.keys(value)) expect(chart[key], `${key}.${sub}`).toHaveProperty([sub]);
    }
    expect(chart["serviceAccount"]!["operator"]).toMatchObject({ name: "keda-operator" });
  });

  it("lets the operator read CloudWatch metrics and nothing else", () => {
    expect(kedaOperatorPolicy().Statement.flatMap((s) => s.Action)).toEqual(["cloudwatch:GetMetricData"]);
    expect(wildcardActions(kedaOperatorPolicy())).toEqual([]);
  });
});
