import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { FleetConfig } from "@inference-fleet/fleet-config";
import { buildK6Job, K6_SCRIPT_KEY } from "../builders/k6-job.js";

export interface LoadTestJobArgs {
  /** The fleet config: the loadTest section and the stack name. */
  readonly config: FleetConfig;
  /** Namespace of the load generators (made by the Fleet, with its network policies). */
  readonly namespace: string;
  /** The bundled single-file k6 script. */
  readonly script: pulumi.Input<string>;
  /** Base URLs of the servers, or the load balancer's one URL (loadTest.target: loadBalancer). */
  readonly targets: pulumi.Input<string[]>;
  readonly models: readonly string[];
  /** s3://bucket/results/; this run writes under <stack>/<job name>/ below it. */
  readonly resultsRootUri: pulumi.Input<string>;
  /** The ServiceAccount k6 pods run as (its Pod Identity association may write results). */
  readonly serviceAccountName: string;
  readonly provider: k8s.Provider;
  /** Created before the Job's pods: the Pod Identity association that lets them write results (ModelStore.loadTestPrerequisites). */
  readonly prerequisites?: pulumi.Resource[];
}

/**
 * A run's name: it changes whenever anything that shapes the run changes (load settings, targets,
 * script), so a changed run is a new Job with its own results prefix, never an overwrite.
 */
function runNameFor(config: FleetConfig, targets: readonly string[], script: string): string {
  const hash = createHash("sha256")
    .update(JSON.stringify({ loadTest: config.loadTest, server: config.server, targets }))
    .update(script);
  return `k6-${hash.digest("hex").slice(0, 10)}`;
}

/** k6 as an Indexed Job with one completion per load pod, on the system nodes; results go to S3. */
export class LoadTestJob extends pulumi.ComponentResource {
  readonly jobName: pulumi.Output<string>;
  /** s3://bucket/results/<stack>/<job>/: one pod-<index>.json per k6 pod. */
  readonly resultsUri: pulumi.Output<string>;

  constructor(name: string, args: LoadTestJobArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-fleet:infra:LoadTestJob", name, {}, opts);
    const { config, namespace, provider } = args;
    const k8sOpts = { parent: this, provider };
    const script = pulumi.output(args.script);
    const targets = pulumi.output(args.targets);
    this.jobName = pulumi.all([script, targets]).apply(([text, urls]) => runNameFor(config, urls, text));
    this.resultsUri = pulumi.interpolate`${args.resultsRootUri}${config.stack}/${this.jobName}/`;

    new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata: { name: args.serviceAccountName, namespace }, automountServiceAccountToken: false }, k8sOpts);
    const scriptMap = new k8s.core.v1.ConfigMap(
      `${name}-script`,
      {
        metadata: { name: this.jobName.apply((job) => `${job}-script`), namespace },
        data: { [K6_SCRIPT_KEY]: script },
      },
      k8sOpts,
    );
    const job = pulumi.all([this.jobName, this.resultsUri, scriptMap.metadata.name, targets]).apply(([jobName, resultsUri, configMapName, urls]) =>
      buildK6Job(config, {
        jobName,
        namespace,
        configMapName,
        serviceAccountName: args.serviceAccountName,
        targets: urls,
        models: args.models,
        resultsUri,
      }),
    );
    new k8s.batch.v1.Job(name, { metadata: job.metadata, spec: job.spec }, { ...k8sOpts, dependsOn: args.prerequisites ?? [] });
    this.registerOutputs({ jobName: this.jobName, resultsUri: this.resultsUri });
  }
}
