import { existsSync } from "node:fs";
import path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { readPrefixPolicy, tlsOnlyBucketPolicy, writePrefixPolicy, type PolicyDocument } from "../builders/iam-documents.js";
import { MODEL_DIR_FILES, OPTIONAL_MODEL_DIR_FILES, type ModelSourcePlan } from "../builders/model-source.js";
import type { KubernetesTarget } from "./kubernetes-target.js";
import { workloadRole } from "./workload-role.js";

/** A Kubernetes ServiceAccount that gets AWS access through Pod Identity. */
export interface WorkloadIdentity {
  readonly namespace: string;
  readonly serviceAccount: string;
}

export interface ModelStoreArgs {
  /** Where the model comes from; an "upload" plan's files go into this store's bucket. */
  readonly modelSource: ModelSourcePlan;
  /** The cluster the Pod Identity associations are made in (none for a bring-your-own kubeconfig). */
  readonly target: KubernetesTarget;
  /** The servers: read-only access to the model prefix. */
  readonly fleet: WorkloadIdentity;
  /** The load generators: write access to the results prefix. */
  readonly loadTest: WorkloadIdentity;
  /** A subfolder of the model prefix the servers may write: the Neuron server's compiled models ("neuron/"), so later pods skip the compile. */
  readonly serverWritableSubfolder?: string;
}

const RESULTS_PREFIX = "results/";

/**
 * A private, encrypted, versioned, TLS-only bucket holding the model files and the load-test
 * results, and the Pod Identity roles that let the servers read the model and k6 write results.
 */
export class ModelStore extends pulumi.ComponentResource {
  readonly bucketName: pulumi.Output<string>;
  /** What the servers get as MODEL_SOURCE. */
  readonly modelSourceUri: pulumi.Output<string>;
  /** s3://bucket/results/ */
  readonly resultsRootUri: pulumi.Output<string>;
  /**
   * What a server pod needs before it starts: the model files, and the Pod Identity association
   * (EKS injects credentials when a pod is created, so a pod made earlier never gets them).
   */
  readonly fleetPrerequisites: pulumi.Resource[] = [];
  /** What a k6 pod needs before it starts: its Pod Identity association (results go to S3). */
  readonly loadTestPrerequisites: pulumi.Resource[] = [];

  constructor(name: string, args: ModelStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-fleet:infra:ModelStore", name, {}, opts);
    const bucket = this.createBucket(name);
    this.bucketName = bucket.bucket;
    const source = args.modelSource;
    if (source.kind === "upload") this.uploadModel(name, bucket, source);
    this.modelSourceUri =
      source.kind === "https"
        ? pulumi.output(source.url)
        : source.kind === "s3"
          ? pulumi.output(`s3://${source.bucket}/${source.prefix}`)
          : pulumi.interpolate`s3://${bucket.bucket}/${source.prefix}`;
    this.resultsRootUri = pulumi.interpolate`s3://${bucket.bucket}/${RESULTS_PREFIX}`;
    this.grantAccess(name, args, bucket);
    this.registerOutputs({ bucketName: this.bucketName, modelSourceUri: this.modelSourceUri, resultsRootUri: this.resultsRootUri });
  }

  /** The bucket: no public access, encrypted, versioned, and a policy that refuses plain HTTP. */
  private createBucket(name: string): aws.s3.Bucket {
    const parent = { parent: this };
    const bucket = new aws.s3.Bucket(name, { forceDestroy: true }, parent);
    const blocked = new aws.s3.BucketPublicAccessBlock(
      name,
      {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      parent,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      name,
      {
        bucket: bucket.id,
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
      },
      parent,
    );
    new aws.s3.BucketVersioning(name, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, parent);
    new aws.s3.BucketPolicy(
      name,
      { bucket: bucket.id, policy: bucket.arn.apply((arn) => JSON.stringify(tlsOnlyBucketPolicy(arn))) },
      { parent: this, dependsOn: [blocked] },
    );
    return bucket;
  }

  /** The local model files as bucket objects, which the servers must wait for. */
  private uploadModel(name: string, bucket: aws.s3.Bucket, source: Extract<ModelSourcePlan, { kind: "upload" }>): void {
    // Repository mode: every model subdirectory under prefix/<model>/; otherwise the one model dir at prefix.
    for (const model of source.models ?? [""]) {
      const present = OPTIONAL_MODEL_DIR_FILES.filter((file) => existsSync(path.join(source.localDir, model, file)));
      for (const file of [...MODEL_DIR_FILES, ...present]) {
        const key = model ? `${model}/${file}` : file;
        this.fleetPrerequisites.push(
          new aws.s3.BucketObject(
            `${name}-${model ? `${model}-` : ""}${file}`,
            {
              bucket: bucket.id,
              key: `${source.prefix}${key}`,
              source: new pulumi.asset.FileAsset(path.join(source.localDir, key)),
            },
            { parent: this },
          ),
        );
      }
    }
  }

  /** Pod Identity roles: the servers read the model prefix, k6 writes results; none without an EKS cluster name. */
  private grantAccess(name: string, args: ModelStoreArgs, bucket: aws.s3.Bucket): void {
    const source = args.modelSource;
    if (args.target.clusterName && args.target.clusterArn) {
      const readModel =
        source.kind === "https"
          ? undefined
          : source.kind === "s3"
            ? pulumi.output(readPrefixPolicy(source.bucket, source.prefix, args.serverWritableSubfolder))
            : bucket.bucket.apply((b) => readPrefixPolicy(b, source.prefix, args.serverWritableSubfolder));
      if (readModel) this.fleetPrerequisites.push(...this.grant(`${name}-fleet`, args.fleet, readModel, args.target));
      this.loadTestPrerequisites.push(
        ...this.grant(
          `${name}-load-test`,
          args.loadTest,
          bucket.bucket.apply((b) => writePrefixPolicy(b, RESULTS_PREFIX)),
          args.target,
        ),
      );
    } else {
      pulumi.log.warn(
        "cluster.existing.kubeconfig gives no EKS cluster name, so no Pod Identity is set up: the servers need a public (https://) model.source, and k6 results stay in the pods. Use cluster.existing.clusterName for S3 access.",
        this,
      );
    }
  }

  /** A role only this ServiceAccount in this cluster can assume, with one inline policy; what its pods must wait for. */
  private grant(name: string, identity: WorkloadIdentity, policy: pulumi.Output<PolicyDocument>, target: KubernetesTarget): pulumi.Resource[] {
    return workloadRole(name, { clusterName: target.clusterName!, clusterArn: target.clusterArn!, ...identity, policy }, this).ready;
  }
}
