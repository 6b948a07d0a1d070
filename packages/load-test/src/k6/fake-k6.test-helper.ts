// A stand-in for the k6 runtime (k6 cannot run on this machine): just enough of k6/http,
// k6/metrics and k6/execution to run the bundled script's functions in Node and collect its
// counters the way k6's summary reports them.
import { randomUUID } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { K6SummaryData } from "./summary.js";

export interface FakeResponse {
  status: number;
  durationMs: number;
  errorCode?: number;
  /** The response body (default: the route's JSON answer); the script sees it only where k6 would keep it (responseType "text" or bodies not discarded). */
  body?: string;
  /** Response headers as k6 gives them (canonical names, e.g. Content-Length). */
  headers?: Record<string, string>;
}

export interface LoadedScript {
  options: { scenarios: Record<string, unknown>; thresholds: Record<string, unknown>; discardResponseBodies?: boolean };
  setup(): { startMs: number; servers?: unknown[] };
  default(data?: unknown): void;
  handleSummary(data: K6SummaryData): Record<string, string>;
  /** URLs the script requested, in order. */
  calls: string[];
  /** Every custom metric the script created, by name: counter, trend or rate. */
  metrics: Map<string, string>;
  /** Values added to a metric or submetric (name{tag:value,...}; rates as 1 and 0), in order of their tag sets. */
  samples(name: string): number[];
  /** The scenario exec.scenario.name (and startTime, Unix ms) reports from now on (at first the first one in options, started at 0). */
  setScenario(name: string, startTimeMs?: number): void;
  /** k6's summary: every metric that got samples, and the submetrics (name{tag:value,...}) that a threshold names, as k6 keeps only those. */
  summaryData(setupData: unknown): K6SummaryData;
}

const FAKE_MODULES = `
const state = globalThis.__fakeK6;
function metric(name, type) { state.metrics.set(name, type); }
// Each sample is kept under its metric and its tag set; a submetric name{tag:value,...} is read from the
// tag sets that carry all its tags, as k6 matches them (see the helper's select()).
function sample(name, v, tags) {
  if (!state.series.has(name)) state.series.set(name, new Map());
  const key = JSON.stringify(Object.entries(tags ?? {}).sort());
  const byTags = state.series.get(name);
  if (!byTags.has(key)) byTags.set(key, { tags: tags ?? {}, values: [] });
  byTags.get(key).values.push(v);
}
export class Counter { constructor(name) { this.name = name; metric(name, "counter"); } add(v, tags) { sample(this.name, v, tags); } }
export class Trend { constructor(name) { this.name = name; metric(name, "trend"); } add(v, tags) { sample(this.name, v, tags); } }
export class Rate { constructor(name) { this.name = name; metric(name, "rate"); } add(v, tags) { sample(this.name, v ? 1 : 0, tags); } }
export const exec = {
  scenario: { get iterationInTest() { return state.iteration; }, get name() { return state.scenario; }, get startTime() { return state.scenarioStartMs; } },
};
function send(method, url, params) {
  state.calls.push(method + " " + url);
  sample("http_reqs", 1);
  const r = state.respond(url);
  const keep = (params && params.responseType === "text") || !state.discardBodies;
  const body = keep ? (r.body ?? '{"detail":"fake answer"}') : null;
  return { status: r.status, error_code: r.errorCode ?? 0, timings: { duration: r.durationMs }, body, headers: r.headers ?? {} };
}
// k6's check(): every named check is evaluated and counted in the checks rate.
export function check(value, checks) {
  let all = true;
  for (const [name, fn] of Object.entries(checks)) { const ok = !!fn(value); sample("checks", ok ? 1 : 0, { check: name }); all = all && ok; }
  return all;
}
export const http = {
  request(method, url, body, params) { state.iteration++; return send(method, url, params); },
  batch(requests) { return requests.map((r) => send(r.method, r.url, r.params)); },
};
`;

/** Loads a bundled k6 script with fake k6 modules; `respond` decides each request's outcome. */
export async function loadBundledScript(bundle: string, env: Record<string, string>, respond: (url: string) => FakeResponse): Promise<LoadedScript> {
  const state = {
    series: new Map<string, Map<string, { tags: Record<string, string>; values: number[] }>>(),
    metrics: new Map<string, string>(),
    calls: [] as string[],
    iteration: 0,
    scenario: "",
    scenarioStartMs: 0,
    discardBodies: false,
    respond,
  };
  Object.assign(globalThis, { __fakeK6: state, __ENV: env });
  const dir = tmpdir();
  // Unique whatever the test does to Date and Math.random: a repeated path would import the cached module, with an older state.
  const stamp = `${process.pid}-${randomUUID()}`;
  const fake = join(dir, `fake-k6-${stamp}.mjs`);
  await writeFile(fake, FAKE_MODULES);
  const fakeUrl = pathToFileURL(fake).href;
  const rewritten = bundle
    .replace(/import (\w+) from "k6\/execution";/, `import { exec as $1 } from "${fakeUrl}";`)
    .replace(/import (\w+) from "k6\/http";/, `import { http as $1 } from "${fakeUrl}";`)
    .replace(/from "k6\/metrics";/, `from "${fakeUrl}";`)
    .replace(/from "k6";/, `from "${fakeUrl}";`);
  const script = join(dir, `k6-script-${stamp}.mjs`);
  await writeFile(script, rewritten);
  const module = (await import(pathToFileURL(script).href)) as Pick<LoadedScript, "options">;
  state.discardBodies = module.options.discardResponseBodies === true;
  state.scenario = Object.keys(module.options.scenarios)[0] ?? "default";
  const declared = Object.keys(module.options.thresholds ?? {});
  const select = (name: string) => selectSamples(state.series, name);
  const typeOf = (name: string) => state.metrics.get(name.replace(/\{.*$/, "")) ?? "counter";
  // k6 summarises every metric that got samples, and a submetric only when a threshold names it.
  const summarised = () => [...state.series.keys(), ...declared.filter((name) => name.includes("{"))].filter((name) => select(name).length > 0);
  return {
    ...(module as LoadedScript),
    calls: state.calls,
    metrics: state.metrics,
    samples: select,
    setScenario: (name, startTimeMs = 0) => {
      state.scenario = name;
      state.scenarioStartMs = startTimeMs;
    },
    summaryData: (setupData) => ({
      metrics: Object.fromEntries(summarised().map((name) => [name, { type: typeOf(name), values: summaryValues(typeOf(name), select(name)) }] as const)),
      setup_data: setupData as K6SummaryData["setup_data"],
    }),
  };
}

/** The values of `name`, a metric or a submetric name{tag:value,...}: those of every tag set that carries all its tags. */
function selectSamples(series: Map<string, Map<string, { tags: Record<string, string>; values: number[] }>>, name: string): number[] {
  const [, metric, selector] = /^([^{]+)(?:\{(.*)\})?$/.exec(name)!;
  const wanted = (selector ?? "")
    .split(",")
    .filter(Boolean)
    .map((pair) => [pair.slice(0, pair.indexOf(":")), pair.slice(pair.indexOf(":") + 1)] as const);
  return [...(series.get(metric!)?.values() ?? [])].filter(({ tags }) => wanted.every(([k, v]) => tags[k] === v)).flatMap(({ values }) => values);
}

/** A metric's values as k6's summary gives them (a counter's count is their sum). */
function summaryValues(type: string, values: number[]): Record<string, number> {
  const sum = values.reduce((a, b) => a + b, 0);
  if (type === "counter") return { count: sum, rate: 0 };
  if (type === "rate") return { rate: sum / values.length, passes: sum, fails: values.length - sum };
  return { count: values.length, avg: sum / values.length, min: Math.min(...values), max: Math.max(...values) };
}
