// Before the load starts, asks every target which execution provider it runs on, so a GPU run
// that fell back to CPU shows in its results. Never fails the run: no answer means "unknown".
import type { ModelRouting } from "../choice.js";
import type { ServerInfo } from "../results.js";
import { metadataModels, metadataUrl, serverInfo, serverInfoFromMetadata } from "../servers.js";

export interface ProbeOptions {
  routing?: ModelRouting;
  /** Per target; a server that is slower than this counts as unknown (default 2 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export async function probeServers(targets: readonly string[], models: readonly string[], options: ProbeOptions = {}): Promise<ServerInfo[]> {
  const probeModels = metadataModels(targets, models, options.routing);
  return Promise.all(
    targets.map(async (target, i) => {
      const timeout = AbortSignal.timeout(options.timeoutMs ?? 2000);
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
      try {
        const response = await fetch(metadataUrl(target, probeModels[i]!), { signal });
        return serverInfoFromMetadata(target, response.status, await response.text());
      } catch {
        return serverInfo(target, undefined);
      }
    }),
  );
}
