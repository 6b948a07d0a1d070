import { beforeAll, describe, expect, it } from "vitest";
import { fleetNodeBounds, loadStackConfig, PROJECT, queueDepthTarget, requestRateTarget } from "@inference-fleet/fleet-config";
import { POLICIES } from "./policy/policies.js";
import { programViolations } from "./testing/policy-harness.js";
import { validateCustomResource } from "./testing/kubernetes-schema.js";
import { MOCK_PRIVATE_SUBNETS, stackFileConfig } from "./testing/pulumi-harness.js";
import { ofType, resourceKey, runProgram, stacks, type ProgramRun } from "./testing/run-program.js";

const SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject";
const TRIGGER_AUTH = "kubernetes:keda.sh/v1alpha1:TriggerAuthentication";
const fleetGroupOf = (run: ProgramRun) => ofType(run.resources, "eks:index:ManagedNodeGroup").find((g) => g.name.endsWith("-fleet"))!;
/** The stack file's server section with autoscaling set (what a user writes in the file). */
const withAutoscaling = (stack: string, autoscaling: Record<string, unknown>) => {
  const server = (stackFileConfig(stack)[`${PROJECT}:server`] ?? {}) as Record<string, unknown>;
  return { [`${PROJECT}:server`]: { ...server, autoscaling: { ...((server["autoscaling"] as object) ?? {}), ...autoscaling } } };
};

/** A capacity per server as `fleet matrix` would have measured it (capacity per node / servers per node): the request-rate trigger is derived from it. */
const CAPACITY_PER_SERVER = 250;

describe.each(["c7i", "c7g", "g5", "inf2", "many"].filter((s) => stacks.includes(s)))("stack %s with server.autoscaling on, under mocks", (stack) => {
  const config = loadStackConfig(stack, {
    env: { FLEET_SERVER_AUTOSCALING_ENABLED: "true", FLEET_SERVER_AUTOSCALING_CAPACITY_PER_SERVER: String(CAPACITY_PER_SERVER) },
  });
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram(stack, withAutoscaling(stack, { enabled: true, capacityPerServer: CAPACITY_PER_SERVER }));
  });

  it("renders one ScaledObject per server, on the request rate and queue depth derived from its capacity, valid against KEDA's CRD", () => {
    const scalers = ofType(run.resources, SCALED_OBJECT);
    expect(scalers.map((s) => s.inputs.spec.scaleTargetRef.name)).toEqual(Array.from({ length: config.server.numServers }, (_, i) => `server${i}`));
    const perMinute = 60 / config.observability.scrapeIntervalSeconds;
    for (const scaler of scalers) {
      const targets = Object.fromEntries(
        scaler.inputs.spec.triggers.map((t: { metadata: Record<string, string> }) => [t.metadata["metricName"], Number(t.metadata["targetMetricValue"])]),
      );
      expect(targets).toEqual({
        model_server_requests_total: Math.round(requestRateTarget(config)!.perPod * 60),
        model_server_queue_depth: queueDepthTarget(config).perPod * perMinute,
      });
      expect(() => validateCustomResource(scaler)).not.toThrow();
    }
    const [auth] = ofType(run.resources, TRIGGER_AUTH);
    expect(() => validateCustomResource(auth!)).not.toThrow();
  });

  it("leaves the replicas of every server Deployment to its HPA, each replica keeping its server's shard", () => {
    const servers = ofType(run.resources, "kubernetes:apps/v1:Deployment").filter((d) => /^server\d+$/.test(d.inputs.metadata.name));
    expect(servers).toHaveLength(config.server.numServers);
    servers.forEach((server, i) => {
      expect(server.inputs.spec.replicas).toBeUndefined();
      // Repository mode: every pod of server i is told it is server i of numServers, so it serves shard i, never a new one.
      if (!config.model.repository) return;
      const env = Object.fromEntries(server.inputs.spec.template.spec.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
      expect([env["SERVER_INDEX"], env["NUM_SERVERS"]]).toEqual([String(i), String(config.server.numServers)]);
    });
  });

  it("installs the pinned KEDA chart, after its Pod Identity role, and creates the scalers after it", () => {
    const [release] = ofType(run.resources, "kubernetes:helm.sh/v3:Release").filter((r) => r.inputs.chart === "keda");
    expect(release!.inputs).toMatchObject({ version: "2.20.2", namespace: "keda" });
    const scaler = ofType(run.resources, SCALED_OBJECT)[0]!;
    expect(run.dependsOn.get(resourceKey(scaler.type, scaler.name))).toEqual(expect.arrayContaining([resourceKey(release!.type, release!.name)]));
    const associations = ofType(run.resources, "aws:eks/podIdentityAssociation:PodIdentityAssociation").map((a) => a.inputs);
    expect(associations).toEqual(expect.arrayContaining([expect.objectContaining({ namespace: "keda", serviceAccount: "keda-operator" })]));
  });

  it("lets the Cluster Autoscaler grow the fleet node group above its minimum, to room for every server at maxReplicas", () => {
    const scaling = fleetGroupOf(run).inputs.scalingConfig;
    expect(scaling.maxSize).toBeGreaterThan(scaling.minSize);
    expect(scaling.maxSize).toBe(fleetNodeBounds(config).max);
    const bounds = fleetNodeBounds(config);
    expect(bounds.max * bounds.serversPerNode).toBeGreaterThanOrEqual(config.server.numServers * config.server.autoscaling.maxReplicas);
  });

  it("violates no policy", async () => {
    expect(await programViolations(POLICIES, run.resources, run.customTimeouts)).toEqual([]);
  });
});

describe("the c7i-ha stack, under mocks", () => {
  const config = loadStackConfig("c7i-ha", { env: {} });
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram("c7i-ha");
  });

  it("has one NAT gateway per zone", () => {
    const [vpc] = ofType(run.resources, "awsx:ec2:Vpc");
    expect(vpc!.inputs.natGateways).toEqual({ strategy: "OnePerAz" });
    expect(vpc!.inputs.numberOfAvailabilityZones).toBe(3);
  });

  it("keeps at least two fleet nodes, in subnets of more than one zone, with room above them", () => {
    const group = fleetGroupOf(run);
    expect(group.inputs.scalingConfig.minSize).toBeGreaterThanOrEqual(2);
    expect(group.inputs.scalingConfig.desiredSize).toBeGreaterThanOrEqual(2);
    expect(group.inputs.scalingConfig.maxSize).toBeGreaterThan(group.inputs.scalingConfig.minSize);
    // One subnet per zone: the ASG balances its nodes over them, so two nodes land in two zones.
    expect(group.inputs.subnetIds).toEqual(MOCK_PRIVATE_SUBNETS);
  });

  it("spreads each server's pods over zones with DoNotSchedule", () => {
    const servers = ofType(run.resources, "kubernetes:apps/v1:Deployment").filter((d) => /^server\d+$/.test(d.inputs.metadata.name));
    for (const server of servers) {
      const name = server.inputs.metadata.name;
      const hard = server.inputs.spec.template.spec.topologySpreadConstraints.filter(
        (c: { whenUnsatisfiable: string }) => c.whenUnsatisfiable === "DoNotSchedule",
      );
      expect(hard).toEqual([expect.objectContaining({ topologyKey: "topology.kubernetes.io/zone", maxSkew: 1 })]);
      expect(hard[0].labelSelector.matchLabels["inference-fleet.io/server"]).toBe(name);
    }
  });

  it("keeps a pod of every server through a node drain: one PodDisruptionBudget per server, none overlapping", () => {
    const budgets = ofType(run.resources, "kubernetes:policy/v1:PodDisruptionBudget");
    expect(budgets.map((b) => b.inputs.spec.selector.matchLabels["inference-fleet.io/server"])).toEqual(
      Array.from({ length: config.server.numServers }, (_, i) => `server${i}`),
    );
    for (const budget of budgets) expect(budget.inputs.spec.maxUnavailable).toBe(1);
  });

  it("runs each server on at least two pods (each shard on two servers)", () => {
    expect(ofType(run.resources, SCALED_OBJECT)).toHaveLength(config.server.numServers);
    for (const scaler of ofType(run.resources, SCALED_OBJECT)) expect(scaler.inputs.spec.minReplicaCount).toBeGreaterThanOrEqual(2);
  });

  it("violates no policy", async () => {
    expect(await programViolations(POLICIES, run.resources, run.customTimeouts)).toEqual([]);
  });
});

describe("a fixed-size ha fleet (autoscaling off)", () => {
  it("gives every server Deployment two replicas", async () => {
    const run = await runProgram("c7i-ha", withAutoscaling("c7i-ha", { enabled: false }));
    const servers = ofType(run.resources, "kubernetes:apps/v1:Deployment").filter((d) => /^server\d+$/.test(d.inputs.metadata.name));
    expect(servers.map((s) => s.inputs.spec.replicas)).toEqual([2, 2, 2, 2, 2]);
    expect(ofType(run.resources, SCALED_OBJECT)).toHaveLength(0);
  });
});
