import { describe, expect, it } from "vitest";
import { resourceViolations, stackViolations } from "../testing/policy-harness.js";
import { addOnRolesWithoutWildcards, alarmOnEveryFleet, noInternetFacingLoadBalancer } from "./operations.js";

const nlb = (annotations: Record<string, string>, loadBalancerClass = "service.k8s.aws/nlb") => ({
  type: "kubernetes:core/v1:Service",
  props: { metadata: { name: "model-servers", annotations }, spec: { type: "LoadBalancer", ...(loadBalancerClass ? { loadBalancerClass } : {}) } },
});
const ingress = (annotations: Record<string, string>) => ({
  type: "kubernetes:networking.k8s.io/v1:Ingress",
  props: { metadata: { name: "model-servers", annotations } },
});
const scheme = "service.beta.kubernetes.io/aws-load-balancer-scheme";
const allowed = { "inference-fleet.io/internet-facing-allowed-by": "server.internetFacing" };

describe("no-internet-facing-load-balancer", () => {
  it.each([
    ["an internal NLB", nlb({ [scheme]: "internal" })],
    ["an NLB with no scheme (the controller's default is internal)", nlb({})],
    ["an internet-facing NLB the config allowed", nlb({ [scheme]: "internet-facing", ...allowed })],
    ["an internal ALB", ingress({ "alb.ingress.kubernetes.io/scheme": "internal" })],
    ["a ClusterIP Service", { type: "kubernetes:core/v1:Service", props: { spec: { type: "ClusterIP" } } }],
  ])("passes %s", async (_, resource) => {
    expect(await resourceViolations(noInternetFacingLoadBalancer, resource)).toEqual([]);
  });
  it.each([
    ["an internet-facing NLB", nlb({ [scheme]: "internet-facing" })],
    ["a LoadBalancer Service the in-tree provider would make public", nlb({}, "")],
    ["an internet-facing ALB", ingress({ "alb.ingress.kubernetes.io/scheme": "internet-facing" })],
  ])("reports %s, saying which config field allows it", async (_, resource) => {
    expect((await resourceViolations(noInternetFacingLoadBalancer, resource)).join("\n")).toMatch(/internet-facing: .*server\.internetFacing: true/);
  });
});

describe("alarm-on-every-fleet", () => {
  const servers = (namespace: string) => ({
    type: "kubernetes:apps/v1:Deployment",
    props: { metadata: { namespace, labels: { "app.kubernetes.io/name": "model-server" } } },
  });
  const alarm = (namespace: string) => ({
    type: "aws:cloudwatch/metricAlarm:MetricAlarm",
    props: { metricQueries: [{ id: "m", metric: { dimensions: { ClusterName: "c", Namespace: namespace } } }] },
  });
  it("passes a fleet with an alarm on its namespace", async () => {
    expect(await stackViolations(alarmOnEveryFleet, [servers("fleet"), alarm("fleet")])).toEqual([]);
  });
  it("reports a fleet whose alarms watch another namespace, or none", async () => {
    expect((await stackViolations(alarmOnEveryFleet, [servers("fleet"), alarm("other")])).join("\n")).toMatch(/namespace fleet have no CloudWatch alarm/);
    expect((await stackViolations(alarmOnEveryFleet, [servers("fleet")])).join("\n")).toMatch(/observability\.enabled: true/);
  });
});

describe("iam-policies-without-wildcard-actions", () => {
  const rolePolicy = (actions: string[]) => ({
    type: "aws:iam/rolePolicy:RolePolicy",
    props: { policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: actions, Resource: "*" }] }) },
  });
  it("passes named actions (a Resource of * is not an action wildcard)", async () => {
    expect(await resourceViolations(addOnRolesWithoutWildcards, rolePolicy(["autoscaling:SetDesiredCapacity"]))).toEqual([]);
  });
  it.each([["s3:*"], ["ec2:Describe*"], ["*"]])("reports %s", async (action) => {
    expect((await resourceViolations(addOnRolesWithoutWildcards, rolePolicy([action]))).join("\n")).toContain(`wildcard actions ${action}`);
  });
});
