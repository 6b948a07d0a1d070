import type { FleetConfig } from "@inference-fleet/fleet-config";
import { importHubSource, isHubSource } from "@inference-fleet/model-zoo";

/**
 * The config with an hf:// model.source replaced by the model directory it imports to (the hub cache, once; later
 * runs read it from there), so `pulumi up` uploads it like any local model dir. Other sources are left as they are.
 */
export async function withHubModelImported(config: FleetConfig, log: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<FleetConfig> {
  if (!isHubSource(config.model.source)) return config;
  const imported = await importHubSource(config.model.source, log, env, { reuseResolvedRevision: true });
  return { ...config, model: { ...config.model, source: imported.dir } };
}
