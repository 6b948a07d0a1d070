// A stand-in for the k6 runtime (k6 cannot run on this machine): just enough of k6/http,
// k6/metrics and k6/execution to run the bundled script's functions in Node and collect its
// counters the way k6's summary reports them.
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { K6SummaryData } from "./summary.js";

export interface FakeResponse {
  status: number;
  durationMs: number;
  errorCode?: number;
}

export interface LoadedScript {
  options: { scenarios: Record<string, unknown>; thresholds: Record<string, unknown> };
  setup(): { startMs: number };
  default(): void;
  handleSummary(data: K6SummaryData): Record<string, string>;
  /** URLs the script requested, in order. */
  calls: string[];
  summaryData(setupData: unknown): K6SummaryData;
}

const FAKE_MODULES = `
const state = globalThis.__fakeK6;
export class Counter { constructor(name) { this.name = name; state.counters.set(name, 0); } add(v) { state.counters.set(this.name, state.counters.get(this.name) + v); } }
export const exec = { scenario: { get iterationInTest() { return state.iteration; } } };
export const http = { request(method, url, body, params) { state.calls.push(method + " " + url); state.iteration++; state.counters.set("http_reqs", (state.counters.get("http_reqs") ?? 0) + 1); const r = state.respond(url); return { status: r.status, error_code: r.errorCode ?? 0, timings: { duration: r.durationMs } }; } };
`;

/** Loads a bundled k6 script with fake k6 modules; `respond` decides each request's outcome. */
export async function loadBundledScript(bundle: string, env: Record<string, string>, respond: (url: string) => FakeResponse): Promise<LoadedScript> {
  const state = { counters: new Map<string, number>(), calls: [] as string[], iteration: 0, respond };
  Object.assign(globalThis, { __fakeK6: state, __ENV: env });
  const dir = tmpdir();
  const stamp = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const fake = join(dir, `fake-k6-${stamp}.mjs`);
  await writeFile(fake, FAKE_MODULES);
  const fakeUrl = pathToFileURL(fake).href;
  const rewritten = bundle
    .replace(/import (\w+) from "k6\/execution";/, `import { exec as $1 } from "${fakeUrl}";`)
    .replace(/import (\w+) from "k6\/http";/, `import { http as $1 } from "${fakeUrl}";`)
    .replace(/from "k6\/metrics";/, `from "${fakeUrl}";`);
  const script = join(dir, `k6-script-${stamp}.mjs`);
  await writeFile(script, rewritten);
  const module = await import(pathToFileURL(script).href);
  return {
    ...module,
    calls: state.calls,
    summaryData: (setupData) => ({
      metrics: Object.fromEntries([...state.counters].filter(([, n]) => n > 0).map(([name, count]) => [name, { type: "counter", values: { count, rate: 0 } }])),
      setup_data: setupData as K6SummaryData["setup_data"],
    }),
  };
}
