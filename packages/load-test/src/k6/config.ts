// Turns the environment variables infra sets on the k6 Job into the run's configuration and k6
// options. Pure, so vitest checks every mode without k6.
import { parseDurationSeconds } from "@inference-fleet/fleet-config";
import type { Options } from "k6/options";
import { MODEL_ROUTINGS, type ModelDistribution, type ModelRouting } from "../choice.js";
import { REQUEST_TEXTS, type RequestMethod, type RequestTexts } from "../request.js";
import { LOAD_MODES, type LoadMode } from "../results.js";
import type { Slo } from "@inference-fleet/fleet-config";
import { buildThresholds } from "../thresholds.js";
import { WARMUP_SCENARIO } from "./metrics.js";
import { partThresholds } from "./parts.js";
import { arrivalRate, staircaseFromEnv, staircaseScenarios, staircaseThresholds, type K6Staircase } from "./staircase.js";

/** MODE=capacity: the staircase of a capacity search (results say mode rate, with the steps under `capacity`). */
const CAPACITY_MODE = "capacity";

export interface K6RunConfig {
  targets: string[];
  models: string[];
  /** What the results file says: a capacity staircase is open loop, so "rate". */
  mode: LoadMode;
  method: RequestMethod;
  /** POST bodies: seq_0 + seq_1 (pair) or seq_0 alone (single, e.g. a sentence to classify). */
  texts: RequestTexts;
  distribution: ModelDistribution;
  zipfS: number;
  routing: ModelRouting;
  slo: Slo;
  timeout: string;
  /** Seconds at the start of DURATION (of each step, for a staircase) whose responses count nowhere. */
  warmupSeconds: number;
  /** MODE=capacity: the steps this pass runs. */
  staircase?: K6Staircase;
  labels: Record<string, string>;
  resultsPath: string;
  options: Options;
}

type Env = Record<string, string | undefined>;

function list(env: Env, name: string, example: string): string[] {
  const items = (env[name] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new Error(`Set ${name} to a comma-separated list, e.g. ${name}=${example}.`);
  return items;
}

function number(env: Env, name: string, fallback: number, check: (n: number) => boolean = (n) => n > 0): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || !check(value)) throw new Error(`${name}="${raw}" is not valid: give a positive number.`);
  return value;
}

/** DURATION read with the fleet config's one duration grammar; a bare number of seconds gets its unit, as k6 needs one. */
function duration(env: Env): string {
  const value = (env.DURATION ?? "60s").trim();
  const seconds = parseDurationSeconds(value);
  if (seconds === undefined || seconds <= 0) throw new Error(`DURATION="${value}" is not a k6 duration: write e.g. 30s, 5m or 1m30s.`);
  return /^\d+(\.\d+)?$/.test(value) ? `${seconds}s` : value;
}

/** WARMUP: part of DURATION, so it must be shorter. */
function warmup(env: Env): number {
  const raw = env.WARMUP?.trim() ?? "";
  if (raw === "") return 0;
  const seconds = parseDurationSeconds(raw);
  if (seconds === undefined) throw new Error(`WARMUP="${env.WARMUP}" is not a duration: write e.g. 5s, 500ms or 0 for none.`);
  const total = parseDurationSeconds(duration(env))!;
  if (seconds >= total) throw new Error(`WARMUP="${env.WARMUP}" must be shorter than DURATION="${duration(env)}", which includes it.`);
  return seconds;
}

/** LABELS="stack=c7g,instanceType=c7g.xlarge" -> { stack: "c7g", instanceType: "c7g.xlarge" }. */
export function parseLabels(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of (text ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new Error(`LABELS entry "${pair}" is not key=value; write e.g. LABELS=stack=c7g,instanceType=c7g.xlarge.`);
    labels[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return labels;
}

function scenario(mode: LoadMode, env: Env): NonNullable<Options["scenarios"]>[string] {
  const time = duration(env);
  const vus = number(env, "VUS", mode === "bmk" ? 8 : 1);
  const maxRequests = env.MAX_REQUESTS ? number(env, "MAX_REQUESTS", 0) : undefined;
  const maxVUs = number(env, "MAX_VUS", Math.max(vus, 100));
  switch (mode) {
    case "rate":
      return { executor: "constant-arrival-rate", ...arrivalRate(number(env, "RATE", 10)), duration: time, preAllocatedVUs: vus, maxVUs };
    case "ramp":
      return {
        executor: "ramping-arrival-rate",
        startRate: number(env, "RAMP_START_RATE", 1, (n) => n >= 0),
        timeUnit: "1s",
        stages: [{ target: number(env, "RAMP_MAX_RATE", 1000), duration: time }],
        preAllocatedVUs: vus,
        maxVUs,
      };
    default:
      // seq, rnd and bmk: closed loop, each VU sends its next request when the last one is answered.
      return maxRequests
        ? { executor: "shared-iterations", vus: Math.min(vus, maxRequests), iterations: maxRequests, maxDuration: time }
        : { executor: "constant-vus", vus, duration: time };
  }
}

/** MAX_VUS when set: a staircase's cap on each step's VUs per pod. */
function maxVUs(env: Env): { maxVUs?: number } {
  return env.MAX_VUS ? { maxVUs: number(env, "MAX_VUS", 1) } : {};
}

/**
 * The scenarios to run. A request cap (shared-iterations) must count measured requests only, and
 * k6 counts iterations: the warm-up then runs first as a scenario of its own with the same VUs,
 * and the capped one starts when it ends, with the rest of DURATION.
 */
function scenarios(mode: LoadMode, env: Env, warmupSeconds: number): NonNullable<Options["scenarios"]> {
  const main = scenario(mode, env);
  if (main.executor !== "shared-iterations" || warmupSeconds === 0) return { [mode]: main };
  const rest = parseDurationSeconds(duration(env))! - warmupSeconds;
  return {
    [WARMUP_SCENARIO]: { executor: "constant-vus", vus: number(env, "VUS", mode === "bmk" ? 8 : 1), duration: `${warmupSeconds}s` },
    [mode]: { ...main, startTime: `${warmupSeconds}s`, maxDuration: `${Number(rest.toFixed(3))}s` },
  };
}

export function k6ConfigFromEnv(env: Env): K6RunConfig {
  const staircase = env.MODE === CAPACITY_MODE ? staircaseFromEnv(env) : undefined;
  const mode = staircase ? "rate" : ((env.MODE ?? "bmk") as LoadMode);
  if (!LOAD_MODES.includes(mode)) throw new Error(`MODE="${env.MODE}" is not a mode: use one of ${[...LOAD_MODES, CAPACITY_MODE].join(", ")}.`);
  const distribution = (env.MODEL_DISTRIBUTION ?? "uniform") as ModelDistribution;
  if (distribution !== "uniform" && distribution !== "zipf") throw new Error(`MODEL_DISTRIBUTION="${distribution}" must be uniform or zipf.`);
  const routing = (env.MODEL_ROUTING ?? "any") as ModelRouting;
  if (!MODEL_ROUTINGS.includes(routing))
    throw new Error(`MODEL_ROUTING="${routing}" must be any (every server serves every model) or shard (each model goes to the server that owns it).`);
  const texts = (env.TEXTS ?? "pair") as RequestTexts;
  if (!REQUEST_TEXTS.includes(texts)) throw new Error(`TEXTS="${env.TEXTS}" must be pair (seq_0 + seq_1) or single (seq_0 alone).`);
  // TEXTS implies POST: a GET has no body, and the server uses its default texts.
  const method = (env.METHOD ?? (env.TEXTS ? "POST" : "GET")).toUpperCase() as RequestMethod;
  if (method !== "GET" && method !== "POST") throw new Error(`METHOD="${env.METHOD}" must be GET or POST.`);
  const slo: Slo = {
    percentile: number(env, "SLO_PERCENTILE", 90, (n) => n > 0 && n <= 100),
    latencyMs: number(env, "SLO_MS", 100),
    maxErrorRate: number(env, "MAX_ERROR_RATE", 0.01, (n) => n >= 0 && n < 1),
  };
  const labels = parseLabels(env.LABELS);
  const pod = env.POD_INDEX ?? env.JOB_COMPLETION_INDEX;
  if (pod !== undefined && pod !== "") labels.pod = pod;
  labels.generator = "k6";
  const warmupSeconds = staircase ? (staircase.steps[0]?.warmupSeconds ?? 0) : warmup(env);
  const timeout = env.TIMEOUT ?? "10s";
  const targets = list(env, "TARGETS", "http://model-server-0:8080,http://model-server-1:8080");
  const models = list(env, "MODELS", "model0,model1");
  return {
    targets,
    models,
    mode,
    method,
    texts,
    distribution,
    zipfS: number(env, "ZIPF_S", 1, (n) => n >= 0),
    routing,
    slo,
    timeout,
    warmupSeconds,
    ...(staircase ? { staircase } : {}),
    labels,
    resultsPath: env.RESULTS_PATH ?? `/results/results-${pod ?? "0"}.json`,
    options: {
      // A staircase climbs until the SLO breaks: its thresholds expose each step and stop a clear breach, they judge nothing.
      scenarios: staircase ? staircaseScenarios(staircase, slo, { timeout, ...maxVUs(env) }) : scenarios(mode, env, warmupSeconds),
      thresholds: {
        ...(staircase ? staircaseThresholds(staircase, slo) : buildThresholds(slo, { abortOnLatency: mode === "ramp", warmupSeconds })),
        // Only so that k6 summarises each target's and model's submetrics: they always pass.
        ...partThresholds({ targets, models, ...(staircase ? { staircase } : {}) }),
      },
      // The summary needs no per-request trends beyond these; the histogram counters carry the rest.
      summaryTrendStats: ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)"],
      discardResponseBodies: true,
    },
  };
}
