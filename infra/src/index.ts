/**
 * The Pulumi program (run with `npm run build` first: Pulumi loads dist/index.js). Only a default
 * export: Pulumi calls it and uses what it returns as the stack outputs.
 */
import * as loadTest from "@inference-fleet/load-test";
import { assertModelDirReady, planModelSource } from "./builders/model-source.js";
import { readFleetConfig } from "./config.js";
import { findRepoRoot } from "./paths.js";
import { defineInfra, type InfraOutputs } from "./program.js";

/** The load-test package's bundler, named in its contract; checked so a missing one says what to do. */
function k6Bundler(): () => Promise<string> {
  const bundle = (loadTest as { bundleK6Script?: () => Promise<string> }).bundleK6Script;
  if (typeof bundle !== "function") throw new Error("@inference-fleet/load-test exports no bundleK6Script(): build the load-test package (npm run build) and try again.");
  return bundle;
}

export default async function main(): Promise<InfraOutputs> {
  const config = readFleetConfig();
  const repoRoot = findRepoRoot();
  assertModelDirReady(planModelSource(config, repoRoot));
  return defineInfra(config, { repoRoot, k6Script: await k6Bundler()() });
}
