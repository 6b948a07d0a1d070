// What one inference request looks like: the model server's seed-compatible route.

import { DEFAULT_CONTEXT, DEFAULT_QUESTION } from "@inference-fleet/fleet-config";

export { DEFAULT_CONTEXT, DEFAULT_QUESTION };

export type RequestMethod = "GET" | "POST";

/** What a POST body holds: a pair (seq_0 + seq_1: question and context, or a sentence pair to classify) or one sentence (seq_0 only). */
export type RequestTexts = "pair" | "single";
export const REQUEST_TEXTS: readonly RequestTexts[] = ["pair", "single"];

export interface InferenceRequest {
  method: RequestMethod;
  url: string;
  /** JSON body for POST; GET lets the server use its default question and context, as the sample's tests do. */
  body: string | undefined;
  headers: Record<string, string>;
}

/** Base URL without trailing slashes, so "http://host:8080/" and "http://host:8080" build the same URLs. */
export function normalizeTarget(target: string): string {
  return target.replace(/\/+$/, "");
}

function predictionPath(model: string): string {
  return `/predictions/${encodeURIComponent(model)}`;
}

export function buildRequest(
  target: string,
  model: string,
  method: RequestMethod = "GET",
  texts: RequestTexts = "pair",
  question = DEFAULT_QUESTION,
  context = DEFAULT_CONTEXT,
): InferenceRequest {
  const url = normalizeTarget(target) + predictionPath(model);
  if (method === "GET") return { method, url, body: undefined, headers: {} };
  const body = texts === "single" ? { seq_0: question } : { seq_0: question, seq_1: context };
  return { method, url, body: JSON.stringify(body), headers: { "content-type": "application/json" } };
}

/** The kind of error a finished request counts as, or null for a 2xx (whose body is judged apart: see answer.ts). Status 0 means no response. */
export function errorKind(status: number, timedOut: boolean): string | null {
  if (status === 0) return timedOut ? "timeout" : "connection";
  return status >= 200 && status < 300 ? null : `http_${status}`;
}
