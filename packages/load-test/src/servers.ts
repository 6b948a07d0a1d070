// Which servers answered a run, and on what: each generator asks every target for a model's
// metadata before the load starts. Pure and free of Node and zod, so the k6 script bundles it too.
import { shardOwner } from "@inference-fleet/fleet-config";
import type { ModelRouting } from "./choice.js";
import { normalizeTarget } from "./request.js";
import type { LoadTestResult, ServerInfo } from "./results.js";

/**
 * The model to ask each target about. Shard routing: a model the target owns (a server that does
 * not hold a model answers 404, which would hide its provider); otherwise, and when a target owns
 * none, the first model.
 */
export function metadataModels(targets: readonly string[], models: readonly string[], routing: ModelRouting = "any"): string[] {
  if (models.length === 0) throw new Error("Give at least one model name to ask the servers about.");
  if (routing !== "shard") return targets.map(() => models[0]!);
  const owned = targets.map(() => undefined as string | undefined);
  for (const model of models) {
    const owner = shardOwner(model, targets.length);
    owned[owner] ??= model;
  }
  return owned.map((model) => model ?? models[0]!);
}

/** The Open Inference Protocol's model metadata route: GET {target}/v2/models/{model}. */
export function metadataUrl(target: string, model: string): string {
  return `${normalizeTarget(target)}/v2/models/${encodeURIComponent(model)}`;
}

/** parameters.execution_provider from a metadata answer; undefined for any other status or body (never an error). */
export function executionProviderFromMetadata(status: number, body: string | null | undefined): string | undefined {
  if (status !== 200 || !body) return undefined;
  try {
    const provider = (JSON.parse(body) as { parameters?: { execution_provider?: unknown } } | null)?.parameters?.execution_provider;
    return typeof provider === "string" && provider !== "" ? provider : undefined;
  } catch {
    return undefined;
  }
}

export function serverInfo(target: string, executionProvider: string | undefined): ServerInfo {
  return executionProvider === undefined ? { target } : { target, executionProvider };
}

/** Servers of several results, one entry per target; a known provider wins over an unknown one. */
export function mergeServers(lists: readonly (readonly ServerInfo[])[]): ServerInfo[] {
  const byTarget = new Map<string, string | undefined>();
  for (const server of lists.flat()) byTarget.set(server.target, byTarget.get(server.target) ?? server.executionProvider);
  return [...byTarget].map(([target, provider]) => serverInfo(target, provider));
}

/** Target -> the execution provider it reported (undefined when it did not say), for every server the result knows. */
export function executionProvidersOf(result: Pick<LoadTestResult, "servers">): Map<string, string | undefined> {
  return new Map((result.servers ?? []).map((server) => [server.target, server.executionProvider]));
}

/** "cuda on 2 of 2 servers", "cuda on 1 of 2 servers, cpu on 1 of 2 servers", "unknown on 1 of 1 server"; "not recorded" without servers. */
export function describeExecutionProviders(result: Pick<LoadTestResult, "servers">): string {
  const providers = [...executionProvidersOf(result).values()];
  if (providers.length === 0) return "not recorded";
  const counts = new Map<string, number>();
  for (const provider of providers) counts.set(provider ?? "unknown", (counts.get(provider ?? "unknown") ?? 0) + 1);
  const of = `of ${providers.length} server${providers.length === 1 ? "" : "s"}`;
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([provider, n]) => `${provider} on ${n} ${of}`)
    .join(", ");
}
