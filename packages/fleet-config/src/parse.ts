import { ConfigError, problemsFromZod } from "./config-error.js";
import { fleetConfigSchema, type FleetConfig } from "./schema.js";

/** Validates a plain object (already un-namespaced) and applies defaults; throws ConfigError naming each bad field. */
export function parseFleetConfig(input: unknown, origin = "inline config"): FleetConfig {
  const result = fleetConfigSchema.safeParse(input);
  if (!result.success) throw new ConfigError(origin, problemsFromZod(result.error, input));
  return result.data;
}
