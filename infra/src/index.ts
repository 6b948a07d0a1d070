/**
 * The Pulumi program (run with `npm run build` first: Pulumi loads dist/index.js). Only a default
 * export: Pulumi calls it and uses what it returns as the stack outputs.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { bundleK6Script } from "@inference-fleet/load-test";
import { withHubModelImported } from "./builders/hub-model.js";
import { assertModelDirReady, assertModelPrecision, planModelSource } from "./builders/model-source.js";
import { readFleetConfig } from "./config.js";
import { findRepoRoot } from "./paths.js";
import { defineInfra, type InfraOutputs } from "./program.js";

/** @public The Pulumi program: Pulumi.yaml's main runs this default export. */
export default async function main(): Promise<InfraOutputs> {
  // An hf:// model is imported on demand (cached by commit) and then uploaded like a local model dir.
  const config = await withHubModelImported(readFleetConfig(), (line) => void pulumi.log.info(line));
  const repoRoot = findRepoRoot();
  const modelSource = planModelSource(config, repoRoot);
  assertModelDirReady(modelSource);
  assertModelPrecision(modelSource, config.model.precision);
  // The deployer is cluster admin through EKS's bootstrap; knowing it keeps a duplicate access entry (409) out.
  const { arn: deployerArn } = await aws.getCallerIdentity();
  return defineInfra(config, { repoRoot, k6Script: await bundleK6Script(), deployerArn });
}
