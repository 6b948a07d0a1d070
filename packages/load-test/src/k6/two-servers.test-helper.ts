// A synthetic k6 run for the breakdown's tests, here and in @inference-fleet/reports (through the
// "./testing" export): the bundled script on the stand-in k6 runtime, cycling two servers and two
// models (seq mode, so every pair gets the same share), s1 slower than s0 and answering every model1
// request with a 503: the parts differ and the fleet is unbalanced.
import { LatencyHistogram } from "../histogram.js";
import { parseResult, type LoadTestResult } from "../results-schema.js";
import { loadBundledScript, type FakeResponse } from "./fake-k6.test-helper.js";

export const TWO_SERVERS = ["http://s0:8080", "http://s1:8080"] as const;
export const TWO_MODELS = ["model0", "model1"] as const;
/** The run's measured window: handleSummary is called this long after setup(). */
const RUN_MS = 10_000;

/** What one server or model saw, recorded in one place: requests, errors by kind and the successes' histogram. */
export class PartSeen {
  requests = 0;
  readonly errors: Record<string, number> = {};
  readonly histogram = new LatencyHistogram();
}

function outcome(target: number, model: number, i: number): FakeResponse {
  if (target === 1 && model === 1) return { status: 503, durationMs: 2 };
  return { status: 200, durationMs: (target === 0 ? 4 : 40) + model * 3 + (i % 5) };
}

export interface TwoServerPodOptions {
  readonly pod: number;
  readonly requests: number;
  /** Sets the clock the script reads (Date.now): the run ends RUN_MS after it starts at `startMs`. */
  readonly setTime: (ms: number) => void;
  readonly startMs: number;
  /** Collects what each server (by URL) and model (by name) saw. */
  readonly seen?: Map<string, PartSeen>;
}

/** One k6 pod's run: `requests` predictions, then the results file its handleSummary writes. */
export async function runTwoServerPod(bundle: string, options: TwoServerPodOptions): Promise<LoadTestResult> {
  const env = { TARGETS: TWO_SERVERS.join(","), MODELS: TWO_MODELS.join(","), MODE: "seq", DURATION: "10s", POD_INDEX: String(options.pod) };
  let n = 0;
  const script = await loadBundledScript(bundle, { ...env, RESULTS_PATH: "/results/out.json" }, (url) => {
    if (url.includes("/v2/models/")) return { status: 404, durationMs: 1 };
    const target = TWO_SERVERS.findIndex((t) => url.startsWith(`${t}/`));
    const model = TWO_MODELS.findIndex((m) => url.endsWith(`/${m}`));
    const response = outcome(target, model, n++);
    for (const key of [TWO_SERVERS[target]!, TWO_MODELS[model]!]) {
      const part = options.seen?.get(key) ?? new PartSeen();
      options.seen?.set(key, part);
      part.requests += 1;
      if (response.status === 503) part.errors.http_503 = (part.errors.http_503 ?? 0) + 1;
      else part.histogram.record(response.durationMs);
    }
    return response;
  });
  options.setTime(options.startMs);
  const setupData = script.setup();
  for (let i = 0; i < options.requests; i++) script.default(setupData);
  options.setTime(options.startMs + RUN_MS);
  return parseResult(JSON.parse(script.handleSummary(script.summaryData(setupData))["/results/out.json"]!));
}
