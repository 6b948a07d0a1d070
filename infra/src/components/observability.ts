import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { FleetConfig } from "@inference-fleet/fleet-config";
import { buildDashboardBody } from "../builders/dashboard.js";
import {
  CLOUDWATCH_AGENT_SERVICE_ACCOUNT,
  OBSERVABILITY_NAMESPACE,
  observabilityAddonValues,
  prometheusLogGroupName,
} from "../builders/observability-agent.js";
import { buildSloAlarms } from "../builders/slo-alarms.js";
import { workloadRole } from "./workload-role.js";

/** The managed policy AWS documents for the add-on's agent (Container Insights, EMF, logs). */
const CLOUDWATCH_AGENT_POLICY_ARN = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy";
const OBSERVABILITY_ADDON = "amazon-cloudwatch-observability";

export interface ObservabilityArgs {
  readonly config: FleetConfig;
  readonly clusterName: pulumi.Input<string>;
  /** Absent for a bring-your-own cluster: no add-on is installed there (it may have one), alarms and dashboard still are. */
  readonly clusterArn?: pulumi.Input<string>;
}

/**
 * Container Insights through the amazon-cloudwatch-observability add-on (its agent's role through Pod
 * Identity), the servers' metrics scraped into CloudWatch, one alarm per SLO term (optionally to SNS),
 * and one dashboard.
 */
export class Observability extends pulumi.ComponentResource {
  readonly alarmNames: pulumi.Output<string>[] = [];
  readonly dashboardName: pulumi.Output<string>;

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-fleet:infra:Observability", name, {}, opts);
    const { config } = args;
    const clusterName = pulumi.output(args.clusterName);
    if (args.clusterArn) this.installAddon(name, config, clusterName, args.clusterArn);
    this.createSloAlarms(name, config, clusterName, this.alarmActions(name, config));
    const dashboard = new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      {
        dashboardName: `inference-fleet-${config.stack}`,
        dashboardBody: clusterName.apply((cluster) => JSON.stringify(buildDashboardBody(config, cluster, config.region))),
      },
      { parent: this },
    );
    this.dashboardName = dashboard.dashboardName;
    this.registerOutputs({ dashboardName: this.dashboardName });
  }

  /** The observability add-on with its agent's Pod Identity role, and the EMF log group it writes the servers' metrics to. */
  private installAddon(name: string, config: FleetConfig, clusterName: pulumi.Output<string>, clusterArn: pulumi.Input<string>): void {
    // The EMF log group is ours, so it has a retention and goes with destroy.
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-prometheus`,
      {
        name: clusterName.apply(prometheusLogGroupName),
        retentionInDays: config.observability.logRetentionDays,
      },
      { parent: this },
    );
    const agent = workloadRole(
      `${name}-cloudwatch-agent`,
      {
        clusterName,
        clusterArn,
        namespace: OBSERVABILITY_NAMESPACE,
        serviceAccount: CLOUDWATCH_AGENT_SERVICE_ACCOUNT,
        managedPolicyArns: [CLOUDWATCH_AGENT_POLICY_ARN],
        associate: false,
      },
      this,
    );
    new aws.eks.Addon(
      `${name}-observability`,
      {
        clusterName,
        addonName: OBSERVABILITY_ADDON,
        addonVersion: config.observability.addonVersion,
        podIdentityAssociations: [{ roleArn: agent.role.arn, serviceAccount: CLOUDWATCH_AGENT_SERVICE_ACCOUNT }],
        configurationValues: clusterName.apply((cluster) => JSON.stringify(observabilityAddonValues(config, cluster))),
        resolveConflictsOnCreate: "OVERWRITE",
        resolveConflictsOnUpdate: "OVERWRITE",
      },
      { parent: this, dependsOn: [...agent.ready, logGroup] },
    );
  }

  /** Where the alarms notify: a new topic with an email subscription, a given topic, both or neither. */
  private alarmActions(name: string, config: FleetConfig): pulumi.Input<string>[] {
    const actions: pulumi.Input<string>[] = [];
    const { email, snsTopicArn } = config.observability.alarms;
    if (email) {
      const topic = new aws.sns.Topic(`${name}-alarms`, { kmsMasterKeyId: "alias/aws/sns" }, { parent: this });
      new aws.sns.TopicSubscription(`${name}-alarms-email`, { topic: topic.arn, protocol: "email", endpoint: email }, { parent: this });
      actions.push(topic.arn);
    }
    if (snsTopicArn) actions.push(snsTopicArn);
    return actions;
  }

  /** One alarm per SLO term. */
  private createSloAlarms(name: string, config: FleetConfig, clusterName: pulumi.Output<string>, actions: pulumi.Input<string>[]): void {
    // The alarms' shape does not depend on the cluster; only their metric dimensions name it.
    const withCluster = clusterName.apply((cluster) => buildSloAlarms(config, cluster));
    buildSloAlarms(config, "").forEach((alarm, index) => {
      const created = new aws.cloudwatch.MetricAlarm(
        `${name}-${alarm.term}`,
        {
          alarmDescription: alarm.description,
          comparisonOperator: alarm.comparisonOperator,
          evaluationPeriods: alarm.evaluationPeriods,
          threshold: alarm.threshold,
          treatMissingData: alarm.treatMissingData,
          metricQueries: withCluster.apply((alarms) => alarms[index]!.metricQueries),
          alarmActions: actions,
          okActions: actions,
          tags: { "inference-fleet:stack": config.stack, "inference-fleet:slo-term": alarm.term },
        },
        { parent: this },
      );
      this.alarmNames.push(created.name);
    });
  }
}
