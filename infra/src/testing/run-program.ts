import * as pulumi from "@pulumi/pulumi";
import { listStacks, PROJECT } from "@inference-fleet/fleet-config";
import { readFleetConfig } from "../config.js";
import { findRepoRoot } from "../paths.js";
import { defineInfra, type InfraOutputs } from "../program.js";
import { mockStack, settled, stackFileConfig, type RecordedResource } from "./pulumi-harness.js";

const TEST_K6_SCRIPT = "export default function () {}\n";
const TEST_ADMIN_CIDR = "198.51.100.0/24";
export const repoRoot = findRepoRoot();
export const stacks = listStacks(`${repoRoot}/stacks`);

/** The ARN the mocked deployment runs as. */
export const TEST_DEPLOYER_ARN = "arn:aws:sts::123456789012:assumed-role/platform-deployer/ci-session";

export interface ProgramRun {
  readonly resources: RecordedResource[];
  readonly outputs: InfraOutputs;
  /** "type::name" of each resource -> the "type::name"s it was given in dependsOn (explicitly, not through its parent). */
  readonly dependsOn: ReadonlyMap<string, readonly string[]>;
  /** "type::name" -> the customTimeouts it was given, in seconds (as the policy engine passes them). */
  readonly customTimeouts: ReadonlyMap<string, { readonly createSeconds: number; readonly updateSeconds: number; readonly deleteSeconds: number }>;
}

/** "90s", "45m", "1h" (Pulumi's duration strings) in seconds; 0 when unset. */
function durationSeconds(text: string | undefined): number {
  if (!text) return 0;
  const match = /^(\d+(?:\.\d+)?)(s|m|h)$/.exec(text);
  if (!match) throw new Error(`customTimeouts value ${text} is not a duration Pulumi reads (e.g. "90s", "45m").`);
  return Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2] as "s" | "m" | "h"];
}

/** "type::name", the key ProgramRun.dependsOn uses. */
export const resourceKey = (type: string, name: string) => `${type}::${name}`;

/**
 * Records every resource's explicit dependsOn through a stack transformation (which sees the options
 * the program passed; the mocks see only inputs), resolved to "type::name" once all are constructed.
 */
function recordOptions(): () => Pick<ProgramRun, "dependsOn" | "customTimeouts"> {
  const keys = new Map<pulumi.Resource, string>();
  const raw: Array<[string, pulumi.Input<pulumi.Input<pulumi.Resource>[]> | pulumi.Input<pulumi.Resource> | undefined]> = [];
  const customTimeouts = new Map<string, { createSeconds: number; updateSeconds: number; deleteSeconds: number }>();
  pulumi.runtime.registerStackTransformation((args) => {
    const key = resourceKey(args.type, args.name);
    keys.set(args.resource, key);
    // A component referenced by URN (eks rehydrates its Cluster for each node group) is not a new registration.
    if (!args.opts.urn) raw.push([key, args.opts.dependsOn]);
    const timeouts = (args.opts as pulumi.CustomResourceOptions).customTimeouts;
    if (timeouts) {
      const { create, update, delete: remove } = timeouts;
      customTimeouts.set(key, { createSeconds: durationSeconds(create), updateSeconds: durationSeconds(update), deleteSeconds: durationSeconds(remove) });
    }
    return undefined;
  });
  return () => ({
    dependsOn: new Map(
      raw.map(([key, dependsOn]) => [key, ([] as unknown[]).concat(dependsOn ?? []).map((r) => keys.get(r as pulumi.Resource) ?? "(unknown)")]),
    ),
    customTimeouts,
  });
}

/**
 * Runs the program under mocks with a stack file's config (plus the API endpoint CIDR the user is
 * asked to set, and any overrides), the way the entry point does, and waits for every registration.
 */
export async function runProgram(stack: string, overrides: Record<string, unknown> = {}, stackName = stack): Promise<ProgramRun> {
  const config = stackFileConfig(stack);
  const cluster = { ...(config[`${PROJECT}:cluster`] as object), publicAccessCidrs: [TEST_ADMIN_CIDR] };
  // stackName: the same stack file under another stack name (names of AWS resources are derived from it).
  const resources = await mockStack(stackName, { ...config, [`${PROJECT}:cluster`]: cluster, ...overrides });
  let outputs: InfraOutputs | undefined;
  let options: (() => Pick<ProgramRun, "dependsOn" | "customTimeouts">) | undefined;
  // Inside a stack resource, as `pulumi up` runs it, so a stack transformation can see every resource's options.
  await pulumi.runtime.runInPulumiStack(async () => {
    options = recordOptions();
    outputs = defineInfra(readFleetConfig(), { repoRoot, k6Script: TEST_K6_SCRIPT, imageTag: "cpu-test", deployerArn: TEST_DEPLOYER_ARN });
    return {};
  });
  await settled();
  return { resources, outputs: outputs!, ...options!() };
}

export function ofType(resources: readonly RecordedResource[], type: string): RecordedResource[] {
  return resources.filter((resource) => resource.type === type);
}
