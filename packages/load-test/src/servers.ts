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

/** A string parameter of a metadata answer; undefined for any other status, body or type (never an error). */
function metadataParameter(status: number, body: string | null | undefined, name: "execution_provider" | "precision"): string | undefined {
  if (status !== 200 || !body) return undefined;
  try {
    const value = (JSON.parse(body) as { parameters?: Record<string, unknown> } | null)?.parameters?.[name];
    return typeof value === "string" && value !== "" ? value : undefined;
  } catch {
    return undefined;
  }
}

/** parameters.execution_provider from a metadata answer; undefined for any other status or body (never an error). */
export function executionProviderFromMetadata(status: number, body: string | null | undefined): string | undefined {
  return metadataParameter(status, body, "execution_provider");
}

/** What one server said about itself (its execution provider and the model's precision), from its metadata answer. */
export function serverInfoFromMetadata(target: string, status: number, body: string | null | undefined): ServerInfo {
  return serverInfo(target, executionProviderFromMetadata(status, body), metadataParameter(status, body, "precision"));
}

export function serverInfo(target: string, executionProvider: string | undefined, precision?: string): ServerInfo {
  return { target, ...(executionProvider === undefined ? {} : { executionProvider }), ...(precision === undefined ? {} : { precision }) };
}

/** Servers of several results, one entry per target; a known value wins over an unknown one. */
export function mergeServers(lists: readonly (readonly ServerInfo[])[]): ServerInfo[] {
  const byTarget = new Map<string, ServerInfo>();
  for (const server of lists.flat()) {
    const seen = byTarget.get(server.target);
    byTarget.set(server.target, serverInfo(server.target, seen?.executionProvider ?? server.executionProvider, seen?.precision ?? server.precision));
  }
  return [...byTarget.values()];
}

/** Target -> the execution provider it reported (undefined when it did not say), for every server the result knows. */
export function executionProvidersOf(result: Pick<LoadTestResult, "servers">): Map<string, string | undefined> {
  return new Map((result.servers ?? []).map((server) => [server.target, server.executionProvider]));
}

/** "int8 on 2 of 2 servers"-style counts of one per-server value; "not recorded" without servers. */
function describeCounts(values: readonly (string | undefined)[]): string {
  if (values.length === 0) return "not recorded";
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value ?? "unknown", (counts.get(value ?? "unknown") ?? 0) + 1);
  const of = `of ${values.length} server${values.length === 1 ? "" : "s"}`;
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([value, n]) => `${value} on ${n} ${of}`)
    .join(", ");
}

/** "cuda on 2 of 2 servers", "cuda on 1 of 2 servers, cpu on 1 of 2 servers", "unknown on 1 of 1 server"; "not recorded" without servers. */
export function describeExecutionProviders(result: Pick<LoadTestResult, "servers">): string {
  return describeCounts([...executionProvidersOf(result).values()]);
}

/** The model precision the servers reported: "int8 on 2 of 2 servers"; "not recorded" without servers. */
export function describePrecisions(result: Pick<LoadTestResult, "servers">): string {
  return describeCounts((result.servers ?? []).map((server) => server.precision));
}
