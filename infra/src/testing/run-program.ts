import { listStacks, PROJECT } from "@inference-fleet/fleet-config";
import { readFleetConfig } from "../config.js";
import { findRepoRoot } from "../paths.js";
import { defineInfra, type InfraOutputs } from "../program.js";
import { mockStack, settled, stackFileConfig, type RecordedResource } from "./pulumi-harness.js";

export const TEST_K6_SCRIPT = "export default function () {}\n";
export const TEST_ADMIN_CIDR = "198.51.100.0/24";
export const repoRoot = findRepoRoot();
export const stacks = listStacks(`${repoRoot}/stacks`);

export interface ProgramRun {
  readonly resources: RecordedResource[];
  readonly outputs: InfraOutputs;
}

/**
 * Runs the program under mocks with a stack file's config (plus the API endpoint CIDR the user is
 * asked to set, and any overrides), the way the entry point does, and waits for every registration.
 */
export async function runProgram(stack: string, overrides: Record<string, unknown> = {}): Promise<ProgramRun> {
  const config = stackFileConfig(stack);
  const cluster = { ...(config[`${PROJECT}:cluster`] as object), publicAccessCidrs: [TEST_ADMIN_CIDR] };
  const resources = await mockStack(stack, { ...config, [`${PROJECT}:cluster`]: cluster, ...overrides });
  const outputs = defineInfra(readFleetConfig(), { repoRoot, k6Script: TEST_K6_SCRIPT, imageTag: "cpu-test" });
  await settled();
  return { resources, outputs };
}

export function ofType(resources: readonly RecordedResource[], type: string): RecordedResource[] {
  return resources.filter((resource) => resource.type === type);
}
