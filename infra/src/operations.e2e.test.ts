/** The operations parts of the program (observability, load balancer, autoscaler) under mocks, for every AWS stack. */
import { beforeAll, describe, expect, it } from "vitest";
import { fleetNodeBounds, loadStackConfig, PROJECT } from "@inference-fleet/fleet-config";
import { POLICIES } from "./policy/policies.js";
import { isKubernetesObject, loadSchemaValidator } from "./testing/kubernetes-schema.js";
import { programViolations } from "./testing/policy-harness.js";
import { stackFileConfig, type RecordedResource } from "./testing/pulumi-harness.js";
import { ofType, resourceKey, runProgram, stacks, type ProgramRun } from "./testing/run-program.js";

const schemaValidator = await loadSchemaValidator();
const awsStacks = stacks.filter((stack) => !loadStackConfig(stack, { env: {} }).cluster.existing);

describe.each(awsStacks)("operations for stack %s, under mocks", (stack) => {
  const config = loadStackConfig(stack, { env: {} });
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram(stack);
  });

  it("installs the observability add-on with its agent's role through Pod Identity", () => {
    const addon = ofType(run.resources, "aws:eks/addon:Addon").find((a) => a.inputs.addonName === "amazon-cloudwatch-observability")!;
    expect(addon.inputs.podIdentityAssociations).toEqual([{ roleArn: expect.stringContaining("cloudwatch-agent"), serviceAccount: "cloudwatch-agent" }]);
    // Pinned: a new add-on release must not change the agents under a running benchmark.
    expect(addon.inputs.addonVersion).toMatch(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/);
    const role = ofType(run.resources, "aws:iam/role:Role").find((r) => addon.inputs.podIdentityAssociations[0].roleArn.endsWith(`/${r.name}`))!;
    const trust = JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Condition.StringEquals;
    expect(trust).toMatchObject({
      "aws:RequestTag/kubernetes-namespace": "amazon-cloudwatch",
      "aws:RequestTag/kubernetes-service-account": "cloudwatch-agent",
    });
  });

  it("scrapes the servers' metrics port (9090) in the fleet namespace, and the fleet's NetworkPolicy admits the agent", () => {
    const addon = ofType(run.resources, "aws:eks/addon:Addon").find((a) => a.inputs.addonName === "amazon-cloudwatch-observability")!;
    const scraper = JSON.parse(addon.inputs.configurationValues).agents.find((a: { name: string }) => a.name === "cloudwatch-agent-prometheus");
    const job = scraper.prometheus.config.scrape_configs[0];
    expect(job.kubernetes_sd_configs[0].namespaces.names).toEqual([config.namespace]);
    expect(job.relabel_configs).toContainEqual(expect.objectContaining({ action: "keep", regex: "9090" }));
    const policy = ofType(run.resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy").find((p) => p.inputs.metadata.name === "allow-metrics-scrape")!;
    expect(policy.inputs.spec.ingress[0].from).toContainEqual({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "amazon-cloudwatch" } } });
  });

  it("has one alarm per SLO term, with the stack's own thresholds, and a dashboard", () => {
    const alarms = ofType(run.resources, "aws:cloudwatch/metricAlarm:MetricAlarm");
    const byTerm = Object.fromEntries(alarms.map((a) => [a.inputs.tags["inference-fleet:slo-term"], a.inputs]));
    expect(Object.keys(byTerm).sort()).toEqual(["errorRate", "latency", "rejections"]);
    expect(byTerm.latency.threshold).toBe(config.loadTest.slo.thresholdMs / 1000);
    expect(byTerm.latency.metricQueries[0].metric.dimensions).toMatchObject({
      Namespace: config.namespace,
      quantile: String(Number(config.loadTest.slo.percentile.slice(1)) / 100),
    });
    expect(byTerm.errorRate.threshold).toBe(config.loadTest.slo.maxErrorRate);
    const [dashboard] = ofType(run.resources, "aws:cloudwatch/dashboard:Dashboard");
    expect(JSON.parse(dashboard!.inputs.dashboardBody).widgets.map((w: { properties: { title: string } }) => w.properties.title)).toEqual(
      expect.arrayContaining([
        "Throughput (requests per minute)",
        "Latency percentiles (s)",
        "CPU per server (% of limit)",
        "Memory per server (% of limit)",
        "Nodes",
      ]),
    );
  });

  it("lets the fleet node group scale to zero (to its two ha nodes) under the Cluster Autoscaler, keeps the system group fixed, and tags the ASG", () => {
    const groups = Object.fromEntries(ofType(run.resources, "eks:index:ManagedNodeGroup").map((g) => [g.name.split("-").pop(), g.inputs]));
    const bounds = fleetNodeBounds(config);
    expect(groups.fleet!.scalingConfig).toEqual({
      minSize: config.cluster.ha ? config.cluster.fleetNodes : 0,
      desiredSize: config.cluster.fleetNodes,
      maxSize: bounds.max,
    });
    // A fixed-size stack's group tops out at fleetNodes; autoscaling or ha leave room above the minimum.
    if (!config.server.autoscaling.enabled && !config.cluster.ha) expect(bounds.max).toBe(config.cluster.fleetNodes);
    else expect(bounds.max).toBeGreaterThan(groups.fleet!.scalingConfig.minSize);
    expect(groups.fleet!.ignoreScalingChanges).toBe(true);
    expect(groups.system!.scalingConfig.minSize).toBe(groups.system!.scalingConfig.maxSize);
    const release = ofType(run.resources, "kubernetes:helm.sh/v3:Release").find((r) => r.inputs.chart === "cluster-autoscaler")!;
    expect(release.inputs.values.autoDiscovery.clusterName).toBe(`inference-fleet-${stack}`);
    // The autoscaler supports only its own Kubernetes minor: the image follows the cluster's version.
    expect(release.inputs.values.image.tag).toMatch(new RegExp(`^v${config.cluster.kubernetesVersion.replace(".", "\\.")}\\.\\d+$`));
    const tags = ofType(run.resources, "aws:autoscaling/tag:Tag").map((t) => t.inputs.tag.key);
    expect(tags).toEqual(
      expect.arrayContaining(["k8s.io/cluster-autoscaler/enabled", "k8s.io/cluster-autoscaler/node-template/taint/inference-fleet.io/dedicated"]),
    );
    for (const deployment of ofType(run.resources, "kubernetes:apps/v1:Deployment").filter((d) => d.inputs.metadata.name.startsWith("server"))) {
      expect(deployment.inputs.spec.template.metadata.annotations["cluster-autoscaler.kubernetes.io/safe-to-evict"]).toBe("false");
    }
  });

  it("installs no load balancer controller without server.expose", () => {
    expect(ofType(run.resources, "kubernetes:helm.sh/v3:Release").map((r) => r.inputs.chart)).not.toContain("aws-load-balancer-controller");
  });
});

describe("server.expose: nlb with loadTest.target: loadBalancer (stack c7g)", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    const config = stackFileConfig("c7g");
    run = await runProgram("c7g", {
      [`${PROJECT}:server`]: { ...(config[`${PROJECT}:server`] as object), expose: "nlb" },
      [`${PROJECT}:loadTest`]: { ...(config[`${PROJECT}:loadTest`] as object), target: "loadBalancer" },
    });
  });

  it("installs the controller release with its Pod Identity role and the IAM policy AWS publishes", () => {
    const release = ofType(run.resources, "kubernetes:helm.sh/v3:Release").find((r) => r.inputs.chart === "aws-load-balancer-controller")!;
    expect(release.inputs).toMatchObject({
      version: "3.5.0",
      namespace: "kube-system",
      values: { clusterName: "inference-fleet-c7g", vpcId: "vpc-123", region: "us-east-1" },
    });
    const association = ofType(run.resources, "aws:eks/podIdentityAssociation:PodIdentityAssociation").find(
      (a) => a.inputs.serviceAccount === "aws-load-balancer-controller",
    )!;
    expect(association.inputs.namespace).toBe("kube-system");
    const policy = ofType(run.resources, "aws:iam/rolePolicy:RolePolicy").find((p) => p.name.includes("lb-controller"))!;
    expect(JSON.parse(policy.inputs.policy).Statement).toHaveLength(16);
  });

  it("puts an internal NLB Service in front of every server, and k6 targets it", () => {
    const service = ofType(run.resources, "kubernetes:core/v1:Service").find((s) => s.inputs.metadata.name === "model-servers")!;
    expect(service.inputs.spec).toMatchObject({ type: "LoadBalancer", loadBalancerClass: "service.k8s.aws/nlb" });
    expect(service.inputs.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"]).toBe("internal");
    const [job] = ofType(run.resources, "kubernetes:batch/v1:Job");
    const env = job!.inputs.spec.template.spec.initContainers[0].env.find((e: { name: string }) => e.name === "TARGETS");
    expect(env.value).toMatch(/^http:\/\/[^,]+\.elb\.us-east-1\.amazonaws\.com:8080$/);
  });

  it("violates no policy, and its Kubernetes objects validate against their schemas", async () => {
    expect(await programViolations(POLICIES, run.resources)).toEqual([]);
    if (typeof schemaValidator === "string") return;
    for (const object of run.resources.filter(isKubernetesObject)) expect(() => schemaValidator(object), `${object.type} ${object.name}`).not.toThrow();
  });
});

describe("server.expose: alb, internet-facing as the config allows", () => {
  it("makes an Ingress with health checks on the readiness route, which the policy pack accepts", async () => {
    const config = stackFileConfig("dev");
    const run = await runProgram("dev", { [`${PROJECT}:server`]: { ...(config[`${PROJECT}:server`] as object), expose: "alb", internetFacing: true } });
    const [ingress] = ofType(run.resources, "kubernetes:networking.k8s.io/v1:Ingress");
    expect(ingress!.inputs.metadata.annotations).toMatchObject({
      "alb.ingress.kubernetes.io/scheme": "internet-facing",
      "alb.ingress.kubernetes.io/healthcheck-path": "/v2/health/ready",
    });
    expect(await programViolations(POLICIES, run.resources)).toEqual([]);
  });
});

/** Objects whose finalizer (or whose admission webhook) belongs to a controller this program installs, and that controller's chart. */
const CONTROLLED_BY: ReadonlyArray<{ match: (r: RecordedResource) => boolean; chart: string }> = [
  { match: (r) => r.type === "kubernetes:core/v1:Service" && r.inputs.spec?.type === "LoadBalancer", chart: "aws-load-balancer-controller" },
  { match: (r) => r.type === "kubernetes:networking.k8s.io/v1:Ingress", chart: "aws-load-balancer-controller" },
];

describe.each(stacks.flatMap((stack) => ["nlb", "alb"].map((expose) => [stack, expose] as const)))(
  "stack %s with server.expose %s: objects owned by a controller's finalizer depend on it",
  (stack, expose) => {
    it("so create waits for the controller and destroy removes them while it still runs", async () => {
      const config = stackFileConfig(stack);
      const run = await runProgram(stack, { [`${PROJECT}:server`]: { ...(config[`${PROJECT}:server`] as object), expose } });
      const releases = ofType(run.resources, "kubernetes:helm.sh/v3:Release");
      let checked = 0;
      for (const resource of run.resources) {
        const rule = CONTROLLED_BY.find((r) => r.match(resource));
        if (!rule) continue;
        const controller = releases.find((r) => r.inputs.chart === rule.chart)!;
        expect(run.dependsOn.get(resourceKey(resource.type, resource.name)), `${resource.type} ${resource.name}`).toContain(
          resourceKey(controller.type, controller.name),
        );
        checked++;
      }
      expect(checked).toBeGreaterThan(0);
    });
  },
);

describe("cluster.idle", () => {
  it("scales every server to zero", async () => {
    const config = stackFileConfig("dev");
    const run = await runProgram("dev", {
      [`${PROJECT}:cluster`]: { ...(config[`${PROJECT}:cluster`] as object), publicAccessCidrs: ["198.51.100.0/24"], idle: true },
    });
    const servers = ofType(run.resources, "kubernetes:apps/v1:Deployment").filter((d) => d.inputs.metadata.name.startsWith("server"));
    expect(servers.map((d) => d.inputs.spec.replicas)).toEqual(servers.map(() => 0));
  });
});
