import { z } from "zod";
import { didYouMean } from "./closest.js";
import { ConfigError, plainMessage } from "./config-error.js";
import { fleetConfigObjectSchema } from "./schema.js";

/** Prefix of environment variables that override config fields, e.g. FLEET_SERVER_NUM_MODELS=4. */
const ENV_PREFIX = "FLEET_";

const toEnvWord = (key: string) => key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();

function unwrap(schema: z.ZodType): z.ZodType {
  let current: z.ZodType = schema;
  for (;;) {
    const def = (current as unknown as { _zod: { def: { type: string; innerType?: z.ZodType; in?: z.ZodType } } })._zod.def;
    if (def.innerType && ["default", "prefault", "optional", "nullable"].includes(def.type)) current = def.innerType;
    else if (def.type === "pipe" && def.in) current = def.in;
    else return current;
  }
}

interface EnvField {
  readonly path: string[];
  /** The field's own schema, to check a value where it came from (the variable, not the stack file). */
  readonly schema: z.ZodType;
}

/** Every settable field as [ENV_NAME, field], walking the schema so new fields get an override for free. */
function leafPaths(schema: z.ZodType, path: string[] = []): Array<[string, EnvField]> {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodObject) {
    return Object.entries(inner.shape as Record<string, z.ZodType>).flatMap(([key, child]) => leafPaths(child, [...path, key]));
  }
  return [[ENV_PREFIX + path.map(toEnvWord).join("_"), { path, schema }]];
}

const ENV_FIELDS = new Map(leafPaths(fleetConfigObjectSchema));

/** The override variable for a dotted config path, e.g. "server.numModels" -> FLEET_SERVER_NUM_MODELS. */
export function envNameFor(path: string): string {
  return ENV_PREFIX + path.split(".").map(toEnvWord).join("_");
}

/** Strings from the environment: JSON when it parses (numbers, booleans, lists), else the raw string. */
function parseEnvValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * Applies FLEET_* variables on top of a config object (a copy; the input is not changed).
 * An unknown FLEET_* variable is an error naming the nearest known ones, so a typo cannot silently do
 * nothing; a value its field refuses is a ConfigError that names the variable, not the stack file.
 */
export function applyEnvOverrides(config: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const result: Record<string, unknown> = structuredClone(config);
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined || name === "FLEET_DEBUG") continue;
    const field = ENV_FIELDS.get(name);
    if (!field) {
      const hint = didYouMean(name, ENV_FIELDS.keys()) || ` Overrides are FLEET_ plus a config path in capitals, e.g. ${envNameFor("server.numModels")}.`;
      throw new Error(`Unknown environment override ${name}.${hint} Unset it, or see the README's config table for the settable fields.`);
    }
    const { path } = field;
    const value = parseEnvValue(raw);
    const checked = field.schema.safeParse(value);
    if (!checked.success) {
      const message = checked.error.issues.map(plainMessage).join("; ");
      throw new ConfigError(`environment variable ${name}`, [{ path: `${name} (${path.join(".")})`, value: raw, message }]);
    }
    let node = result;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      node = node[key] = next && typeof next === "object" ? { ...(next as Record<string, unknown>) } : {};
    }
    node[path[path.length - 1]!] = value;
  }
  return result;
}
