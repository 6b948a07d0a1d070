import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { wildcardActions } from "../builders/addon-iam.js";
import type { PolicyDocument } from "../builders/iam-documents.js";
import { INTERNET_FACING_ALLOWED } from "../builders/load-balancer.js";
import { LABELS, SERVER_APP } from "../constants.js";
import { forTypes } from "./by-type.js";

const SERVICE = "kubernetes:core/v1:Service";
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const ROLE_POLICIES = ["aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy"];

/** The scheme a Service or Ingress asks the load balancer controller for; "internet-facing" where nothing says internal. */
function requestedScheme(type: string, props: Record<string, any>): "internal" | "internet-facing" | undefined {
  const annotations: Record<string, string> = props.metadata?.annotations ?? {};
  if (type === INGRESS) return annotations["alb.ingress.kubernetes.io/scheme"] === "internet-facing" ? "internet-facing" : "internal";
  if (props.spec?.type !== "LoadBalancer") return undefined;
  // Without the controller's class, the in-tree cloud provider makes an internet-facing load balancer.
  if (props.spec?.loadBalancerClass !== "service.k8s.aws/nlb") return "internet-facing";
  return annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"] === "internet-facing" ? "internet-facing" : "internal";
}

export const noInternetFacingLoadBalancer: ResourceValidationPolicy = {
  name: "no-internet-facing-load-balancer",
  description: "Load balancers are internal unless the stack config allows an internet-facing one (server.internetFacing).",
  enforcementLevel: "mandatory",
  validateResource: forTypes([SERVICE, INGRESS], (props, report, type) => {
    if (requestedScheme(type, props) !== "internet-facing") return;
    if (props.metadata?.annotations?.[INTERNET_FACING_ALLOWED]) return;
    const name = props.metadata?.name ?? "This load balancer";
    report(
      `${name} would be internet-facing: keep it internal (the default), or set server.internetFacing: true in the stack config if the internet must reach it.`,
    );
  }),
};

/** The fleet namespaces an alarm watches, from its metric queries' Namespace dimension. */
function watchedNamespaces(props: Record<string, any>): string[] {
  const queries: Array<{ metric?: { dimensions?: Record<string, string> } }> = props.metricQueries ?? [];
  return [props.dimensions?.Namespace, ...queries.map((q) => q.metric?.dimensions?.Namespace)].filter((ns): ns is string => Boolean(ns));
}

export const alarmOnEveryFleet: StackValidationPolicy = {
  name: "alarm-on-every-fleet",
  description: "Every namespace that runs model servers has at least one CloudWatch alarm on its metrics.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const watched = new Set(args.resources.filter((r) => r.type === ALARM).flatMap((r) => watchedNamespaces(r.props)));
    const fleets = args.resources.filter((r) => r.type === "kubernetes:apps/v1:Deployment" && r.props.metadata?.labels?.[LABELS.app] === SERVER_APP);
    for (const namespace of new Set(fleets.map((r) => r.props.metadata?.namespace as string))) {
      if (!watched.has(namespace)) {
        report(`The model servers in namespace ${namespace} have no CloudWatch alarm: keep observability.enabled: true (it makes one alarm per SLO term).`);
      }
    }
  },
};

export const addOnRolesWithoutWildcards: ResourceValidationPolicy = {
  name: "iam-policies-without-wildcard-actions",
  description: "Role policies the program writes (add-ons, workloads) grant named actions, never a wildcard such as s3:* or ec2:Describe*.",
  enforcementLevel: "mandatory",
  validateResource: forTypes(ROLE_POLICIES, (props, report) => {
    if (typeof props.policy !== "string") return;
    const wildcards = wildcardActions(JSON.parse(props.policy) as PolicyDocument);
    if (wildcards.length > 0) report(`The policy allows wildcard actions ${wildcards.join(", ")}: list the actions the workload needs instead.`);
  }),
};
