import { DEFAULT_SLO, defaultWarmupSeconds, parseDurationSeconds, parseSloLabel, sloLabel, type Slo } from "@inference-fleet/fleet-config";
import {
  LOAD_MODES,
  REQUEST_TEXTS,
  runLoad,
  totalErrors,
  writeResultFile,
  type LoadMode,
  type LoadProgress,
  type LoadTestResult,
  type RequestTexts,
} from "@inference-fleet/load-test";
import { renderMarkdown, SLO_LABEL, sloMiss } from "@inference-fleet/reports";
import { defineCommand, UsageError } from "../command.js";
import { watchCtrlC } from "../shared/ctrl-c.js";

function positiveNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(Number.isFinite(n) && n > 0)) throw new UsageError(`${flag} must be a positive number, got "${value}".`);
  return n;
}

function requestTexts(value: string): RequestTexts {
  if (!(REQUEST_TEXTS as readonly string[]).includes(value)) {
    throw new UsageError(`--texts must be pair (seq_0 + seq_1) or single (seq_0 alone), got "${value}".`);
  }
  return value as RequestTexts;
}

function progressLine(p: LoadProgress): string {
  return (
    `${p.elapsedSeconds.toFixed(0).padStart(4)} s  ${p.requestsPerSecond.toFixed(0).padStart(7)} req/s  p90 ${p.p90Ms.toFixed(2).padStart(8)} ms  ` +
    `${p.requests} requests  ${p.errors} errors`
  );
}

/** Why a run answered nothing, or undefined when some requests succeeded (it still fails when it misses its SLO: see sloMiss). */
function nothingAnswered(result: Pick<LoadTestResult, "requests" | "errors" | "targets">): string | undefined {
  const failed = totalErrors(result.errors);
  if (result.requests > 0 && failed < result.requests) return undefined;
  const targets = result.targets.join(", ");
  if (result.requests === 0) return `No request was sent to ${targets}: give a longer --duration or a --max-requests above 0.`;
  const kinds = Object.entries(result.errors)
    .map(([kind, count]) => `${count} ${kind}`)
    .join(", ");
  const hint =
    (result.errors["connection"] ?? 0) > 0
      ? ` Is a model server listening at ${targets}? Start one with \`npx fleet serve\`, or fix --target.`
      : result.errors["http_404"]
        ? " Check --models against the names the server serves (GET /v2/models/{name})."
        : "";
  return `Every one of the ${result.requests} requests failed (${kinds}).${hint}`;
}

/** A duration flag in seconds (undefined when absent); 0 only where `zero` allows it. */
function durationFlag(flag: string, value: string | undefined, zero = false): number | undefined {
  if (value === undefined) return undefined;
  const s = parseDurationSeconds(value);
  if (s === undefined || s < 0 || (s === 0 && !zero)) throw new UsageError(`${flag} "${value}" is not a duration; write e.g. 30s, 2m or 1m30s.`);
  return s;
}

function sloFlag(value: string | undefined): Slo {
  try {
    return value === undefined ? DEFAULT_SLO : parseSloLabel(value);
  } catch (error) {
    throw new UsageError(`--slo: ${(error as Error).message.replace(/^Label slo=/, "")}`);
  }
}

function labelFlags(pairs: string[] | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--label "${pair}" is not KEY=VALUE.`);
    labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return labels;
}

function commaList(value: string): string[] {
  return value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
}

/** Without --warmup: the default for the duration, none for a run capped by request count alone. */
function warmupSeconds(values: { warmup?: string; duration?: string; "max-requests"?: string }): number {
  const given = durationFlag("--warmup", values.warmup, true);
  if (given !== undefined) return given;
  if (values.duration) return defaultWarmupSeconds(durationFlag("--duration", values.duration)!);
  return values["max-requests"] ? 0 : defaultWarmupSeconds(30);
}

/** Writes the result, prints it and the verdict, and returns the exit code: 0 met, 1 failed, 130 interrupted. */
async function reportRun(result: LoadTestResult, slo: Slo, out: string): Promise<number> {
  await writeResultFile(out, result);
  console.log(renderMarkdown([result]));
  console.log(`Wrote ${out}.`);
  if (result.interrupted) {
    console.error("fleet load: interrupted: the results hold what finished, and give no verdict.");
    return 130;
  }
  const failure = nothingAnswered(result) ?? sloMiss(result, slo);
  if (failure === undefined) {
    console.log(`fleet load: meets its SLO (${sloLabel(slo)}).`);
    return 0;
  }
  console.error(`fleet load: FAILED: ${failure}`);
  return 1;
}

export const load = defineCommand({
  path: ["load"],
  summary: "Load model servers from this machine and write a results file (the k6 script's semantics, in Node).",
  details: `Modes: seq (cycle servers and models in order), rnd (random server and model), bmk (closed loop,
--concurrency requests in flight), rate (open loop at --rate req/s; latency counts from when a request was due),
ramp (open loop rising linearly from --ramp-from to --ramp-to req/s over --duration).
Stops at --duration or --max-requests; Ctrl-C stops early and still writes what finished (exit code 130, no verdict).
A request succeeds only when its status is 2xx and its body is the whole JSON answer; latency percentiles are of
successes, errors are counted by kind beside them. Exits 1 when the run misses --slo (latency or error budget),
as k6 does with its thresholds; the last line says why.
Example: fleet load --target http://127.0.0.1:8080 --models model0,model1 --mode bmk --concurrency 16 --duration 30s --out results.json`,
  options: {
    target: { type: "string", valueName: "URL[,URL...]", description: "Model server base URLs." },
    models: { type: "string", valueName: "NAME[,NAME...]", description: "Model names to call.", default: "model0" },
    mode: { type: "string", valueName: LOAD_MODES.join("|"), description: "Load pattern.", default: "bmk" },
    concurrency: { type: "string", valueName: "N", description: "Requests in flight (closed loop) or connections per server (rate)." },
    rate: { type: "string", valueName: "R", description: "Requests per second for --mode rate." },
    "ramp-from": { type: "string", valueName: "R", description: "--mode ramp: the rate at the start (req/s); it rises linearly over --duration." },
    "ramp-to": { type: "string", valueName: "R", description: "--mode ramp: the rate at the end of --duration (req/s)." },
    texts: {
      type: "string",
      valueName: "pair|single",
      description: "POST each request with seq_0 + seq_1 (pair) or seq_0 alone (single: a sentence to classify); default: GET, the server's defaults.",
    },
    duration: { type: "string", valueName: "TIME", description: "How long to send, e.g. 30s or 2m (default 30s unless --max-requests)." },
    "max-requests": { type: "string", valueName: "M", description: "Stop after this many requests." },
    warmup: {
      type: "string",
      valueName: "TIME",
      description: "Load sent first and left out of the figures (default a quarter of --duration, at most 15s; 0 with only --max-requests).",
    },
    timeout: { type: "string", valueName: "TIME", description: "Per-request timeout (resolution about 1 s).", default: "10s" },
    distribution: { type: "string", valueName: "uniform|zipf", description: "How models are chosen in random modes.", default: "uniform" },
    label: {
      type: "string",
      multiple: true,
      valueName: "KEY=VALUE",
      description: "Label for the result (repeatable), e.g. --label instanceType=c7g.xlarge --label servers=2.",
    },
    slo: {
      type: "string",
      valueName: "SLO",
      description: `The SLO the run must meet or exit 1, e.g. "p90<=100ms errors<=1%" (default ${sloLabel(DEFAULT_SLO)}).`,
    },
    out: { type: "string", valueName: "FILE", description: "Where to write the results JSON.", default: "results/results.json" },
  },
  async run({ values }) {
    if (!values.target) throw new UsageError("--target is required, e.g. --target http://127.0.0.1:8080.");
    const mode = values.mode as LoadMode;
    if (!LOAD_MODES.includes(mode)) throw new UsageError(`--mode must be one of ${LOAD_MODES.join(", ")}.`);
    const slo = sloFlag(values.slo);
    const labels = labelFlags(values.label as string[] | undefined);
    const ctrlC = watchCtrlC("\nStopping: writing the results of the requests that finished.", (line) => process.stderr.write(`${line}\n`));
    const tty = process.stderr.isTTY;
    try {
      const result = await runLoad({
        targets: commaList(values.target),
        models: commaList(values.models ?? "model0"),
        mode,
        concurrency: positiveNumber(values.concurrency, "--concurrency"),
        rate: positiveNumber(values.rate, "--rate"),
        rampFrom: positiveNumber(values["ramp-from"], "--ramp-from"),
        rampTo: positiveNumber(values["ramp-to"], "--ramp-to"),
        durationSeconds: durationFlag("--duration", values.duration),
        warmupSeconds: warmupSeconds(values),
        maxRequests: positiveNumber(values["max-requests"], "--max-requests"),
        timeoutMs: (durationFlag("--timeout", values.timeout) ?? 10) * 1000,
        distribution: values.distribution === "zipf" ? "zipf" : "uniform",
        ...(values.texts === undefined ? {} : { texts: requestTexts(values.texts) }),
        labels: { [SLO_LABEL]: sloLabel(slo), ...labels },
        signal: ctrlC.signal,
        onProgress: tty ? (p) => process.stderr.write(`\r${progressLine(p)}\x1b[K`) : undefined,
      });
      if (tty) process.stderr.write("\n");
      return await reportRun(result, slo, values.out ?? "results/results.json");
    } finally {
      ctrlC.stop();
    }
  },
});
