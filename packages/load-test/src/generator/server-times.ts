// Each server's own account of a run: its /metrics (model_server_* histograms) scraped before and
// after the load and diffed, so the report can split the time in the server into inference and
// the rest (waiting in the queue for a run, tokenizing, HTTP). A server without these metrics
// (another implementation, a fake) is simply left out.
import { INFERENCE_ROUTES, SERVER_METRIC_NAMES } from "@inference-fleet/fleet-config";
import { request } from "undici";
import type { ServerTimes } from "../results.js";

const SAMPLE = /^(model_server_(?:request_duration_seconds|inference_duration_seconds|batch_size)_(?:sum|count))(?:\{([^}]*)\})? ([^ ]+)/;

const REQUESTS_SAMPLE = new RegExp(`^${SERVER_METRIC_NAMES.requests}(?:\\{([^}]*)\\})? ([^ ]+)`);

type Totals = Omit<ServerTimes, "target">;

/** Whether a sample's labels name a route that runs the model (health, metadata and unmatched routes are not load). */
function onInferenceRoute(labels: string): boolean {
  const route = /route="([^"]*)"/.exec(labels)?.[1];
  return route !== undefined && INFERENCE_ROUTES.has(route);
}

/** The run-related totals in a Prometheus text exposition; undefined when the server exports none of them. */
function serverTotalsOf(text: string): Totals | undefined {
  const totals: Totals = { requests: 0, requestSeconds: 0, runs: 0, inferenceSeconds: 0, batchedRequests: 0 };
  let seen = false;
  for (const line of text.split("\n")) {
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const [, name, labels = "", raw] = match;
    const value = Number(raw);
    if (!Number.isFinite(value)) continue;
    seen = true;
    if (name!.startsWith("model_server_request_duration_seconds")) {
      if (!onInferenceRoute(labels)) continue;
      if (name!.endsWith("_sum")) totals.requestSeconds += value;
      else totals.requests += value;
    } else if (name!.startsWith("model_server_inference_duration_seconds")) {
      if (name!.endsWith("_sum")) totals.inferenceSeconds += value;
      else totals.runs += value;
    } else if (name!.endsWith("_sum")) totals.batchedRequests += value;
  }
  return seen ? totals : undefined;
}

/** Every target's /metrics at once, read by `parse`; a target that does not answer with its metrics gets undefined. */
export function scrapeMetrics<T>(targets: readonly string[], parse: (text: string) => T | undefined, signal?: AbortSignal): Promise<(T | undefined)[]> {
  return Promise.all(
    targets.map(async (target) => {
      try {
        const response = await request(new URL("/metrics", target), { signal, headersTimeout: 2000, bodyTimeout: 2000 });
        const text = await response.body.text();
        return response.statusCode === 200 ? parse(text) : undefined;
      } catch {
        return undefined;
      }
    }),
  );
}

export function scrapeServerTotals(targets: readonly string[], signal?: AbortSignal): Promise<(Totals | undefined)[]> {
  return scrapeMetrics(targets, serverTotalsOf, signal);
}

/** The sum of every sample of the metric `name` (any labels; not a metric whose name only starts with it); undefined without one. */
function sumOfSamples(text: string, name: string): number | undefined {
  let total: number | undefined;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name) || (line[name.length] !== " " && line[name.length] !== "{")) continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(value)) total = (total ?? 0) + value;
  }
  return total;
}

/** Requests waiting in a server's queues now (model_server_queue_depth, summed over sessions); undefined without it. */
export function queueDepthOf(text: string): number | undefined {
  return sumOfSamples(text, SERVER_METRIC_NAMES.queueDepth);
}

/**
 * Inference requests a server has answered since it started (model_server_requests_total on the inference routes, any
 * model and status; health, metadata and unmatched routes are not load); undefined without the counter. Both servers
 * export it with these labels: diffed between two scrapes it is the served request rate the autoscaler scales on.
 */
export function inferenceRequestsOf(text: string): number | undefined {
  let total: number | undefined;
  for (const line of text.split("\n")) {
    const match = REQUESTS_SAMPLE.exec(line);
    if (!match) continue;
    total ??= 0;
    const value = Number(match[2]);
    if (onInferenceRoute(match[1] ?? "") && Number.isFinite(value)) total += value;
  }
  return total;
}

/** Requests the servers hold now, all together; undefined when a server's metrics cannot be read. */
export async function queuedOnServers(targets: readonly string[], signal?: AbortSignal): Promise<number | undefined> {
  const depths = await scrapeMetrics(targets, queueDepthOf, signal);
  return depths.some((depth) => depth === undefined) ? undefined : depths.reduce((sum: number, depth) => sum + depth!, 0);
}

/** What each server did between two scrapes; targets missing from either scrape are left out. */
export function serverTimesBetween(targets: readonly string[], before: (Totals | undefined)[], after: (Totals | undefined)[]): ServerTimes[] {
  return targets.flatMap((target, i) => {
    const [b, a] = [before[i], after[i]];
    if (!b || !a) return [];
    const diff = (key: keyof Totals) => Math.max(0, a[key] - b[key]);
    return [
      {
        target,
        requests: Math.round(diff("requests")),
        requestSeconds: diff("requestSeconds"),
        runs: Math.round(diff("runs")),
        inferenceSeconds: diff("inferenceSeconds"),
        batchedRequests: diff("batchedRequests"),
      },
    ];
  });
}
