import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { didYouMean } from "./closest.js";
import { applyEnvOverrides } from "./env-overrides.js";
import { parseFleetConfig } from "./parse.js";
import { PROJECT, type FleetConfig } from "./schema.js";

/**
 * Turns Pulumi's namespaced config ("inference-fleet:model", "aws:region") into the fleet config object.
 * Values may be objects (stack YAML) or JSON strings (pulumi.runtime.allConfig()). Other namespaces
 * belong to providers and are ignored.
 */
export function fromNamespacedConfig(values: Record<string, unknown>, stack: string): Record<string, unknown> {
  const config: Record<string, unknown> = { stack };
  for (const [key, raw] of Object.entries(values)) {
    const value = typeof raw === "string" ? parseMaybeJson(raw) : raw;
    if (key === "aws:region") config.region = value;
    else if (key.startsWith(`${PROJECT}:`)) config[key.slice(PROJECT.length + 1)] = value;
  }
  return config;
}

function parseMaybeJson(raw: string): unknown {
  if (!/^\s*[[{]|^(true|false|-?\d+(\.\d+)?)$/.test(raw)) return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export interface LoadStackOptions {
  /** Folder of Pulumi.<stack>.yaml files; defaults to stacks/ at the repo root. */
  readonly stacksDir?: string;
  /** FLEET_* overrides; pass {} to ignore the environment. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Finds stacks/ by walking up from the working directory to the folder holding Pulumi.yaml. */
export function defaultStacksDir(from = process.cwd()): string {
  let dir = path.resolve(from);
  while (!existsSync(path.join(dir, "Pulumi.yaml"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No Pulumi.yaml found in ${from} or above: run this inside the inference-fleet repo, or pass the stacks folder.`);
    dir = parent;
  }
  return path.join(dir, "stacks");
}

/** Names of the stacks that have a Pulumi.<stack>.yaml file. */
export function listStacks(stacksDir = defaultStacksDir()): string[] {
  return readdirSync(stacksDir)
    .map((file) => /^Pulumi\.(.+)\.ya?ml$/.exec(file)?.[1])
    .filter((name): name is string => Boolean(name))
    .sort();
}

/** Reads stacks/Pulumi.<stack>.yaml, applies FLEET_* overrides, and validates through the schema. */
export function loadStackConfig(stack: string, options: LoadStackOptions = {}): FleetConfig {
  const stacksDir = options.stacksDir ?? defaultStacksDir();
  const file = path.join(stacksDir, `Pulumi.${stack}.yaml`);
  if (!existsSync(file)) {
    const known = listStacks(stacksDir);
    throw new Error(`No stack file ${file}.${didYouMean(stack, known)} Known stacks: ${known.join(", ") || "(none)"}.`);
  }
  const document = (parseYaml(readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const namespaced = fromNamespacedConfig(document.config ?? {}, stack);
  const withEnv = applyEnvOverrides(namespaced, options.env ?? process.env);
  return parseFleetConfig(withEnv, path.relative(process.cwd(), file) || file);
}
