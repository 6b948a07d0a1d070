// Where the time goes: a run's figures per server (target) and per model, and each server's own
// split of its time into inference and the rest (waiting in the queue for a run, tokenizing, HTTP),
// so a reader sees whether a fleet is CPU-bound, queue-bound or unbalanced. The Markdown summary
// and the HTML report both print this.
import { LatencyHistogram } from "@inference-fleet/load-test";
import { totalErrors, type LoadTestResult, type ResultPart, type ServerTimes } from "@inference-fleet/load-test";

interface PartRow {
  name: string;
  requests: number;
  /** Successes per second over the measured window. */
  throughput: number;
  /** This part's share of all successes (0-1). */
  share: number;
  p50: number;
  p90: number;
  p99: number;
  errors: Record<string, number>;
  errorRate: number;
}

interface ServerSplit {
  target: string;
  /** Mean time in the server per inference request, ms. */
  serverMs: number;
  /** Mean duration of one ONNX Runtime run, ms. */
  inferenceMs: number;
  /** The rest of the time in the server: waiting for a run, tokenizing, HTTP (serverMs - inferenceMs), ms. */
  queueMs: number;
  /** Mean requests per run. */
  batch: number;
  /** Seconds of inference per second of the run: near or above 1 per inference thread means the CPU is the limit. */
  busy: number;
}

export interface Breakdown {
  targets: PartRow[];
  models: PartRow[];
  servers: ServerSplit[];
  /** In words: unbalanced, queue-bound, CPU-bound, or none of these. */
  findings: string[];
}

/** A target URL as a short name: host:port. */
export function targetName(target: string): string {
  const url = URL.parse(target);
  return url ? url.host : target;
}

function rowsOf(parts: readonly ResultPart[], durationSeconds: number, name: (n: string) => string): PartRow[] {
  const successes = parts.reduce((sum, p) => sum + p.requests - totalErrors(p.errors), 0);
  return parts.map((part) => {
    const ok = part.requests - totalErrors(part.errors);
    const h = LatencyHistogram.from(part.histogram);
    return {
      name: name(part.name),
      requests: part.requests,
      throughput: durationSeconds > 0 ? ok / durationSeconds : 0,
      share: successes > 0 ? ok / successes : 0,
      p50: h.percentile(50),
      p90: h.percentile(90),
      p99: h.percentile(99),
      errors: part.errors,
      errorRate: part.requests > 0 ? totalErrors(part.errors) / part.requests : 0,
    };
  });
}

function splitOf(times: ServerTimes, durationSeconds: number): ServerSplit | undefined {
  if (times.requests === 0 || times.runs === 0) return undefined;
  const serverMs = (times.requestSeconds * 1000) / times.requests;
  const inferenceMs = (times.inferenceSeconds * 1000) / times.runs;
  return {
    target: targetName(times.target),
    serverMs,
    inferenceMs,
    queueMs: Math.max(0, serverMs - inferenceMs),
    batch: times.batchedRequests / times.runs,
    busy: durationSeconds > 0 ? times.inferenceSeconds / durationSeconds : 0,
  };
}

const ms = (value: number) => `${Number(value.toPrecision(3))} ms`;

/** Under this many seconds of inference per second, a server whose time is mostly inference is not the limit yet. */
const IDLE_BELOW = 0.5;
/** Servers whose throughput differs by more than this factor (max/min) make a fleet unbalanced. */
const UNBALANCED_RATIO = 1.25;

function findingsOf(targets: PartRow[], servers: ServerSplit[]): string[] {
  const findings: string[] = [];
  const serving = targets.filter((t) => t.requests > 0);
  if (serving.length > 1) {
    const sorted = [...serving].sort((a, b) => b.throughput - a.throughput);
    const [most, least] = [sorted[0]!, sorted.at(-1)!];
    if (least.throughput === 0 || most.throughput / least.throughput > UNBALANCED_RATIO) {
      findings.push(
        `Unbalanced: ${most.name} served ${Number(most.throughput.toPrecision(3))} req/s and ${least.name} ` +
          `${Number(least.throughput.toPrecision(3))} req/s (${(least.errorRate * 100).toFixed(1)}% errors there): check routing and that server.`,
      );
    }
  }
  for (const s of servers) {
    if (s.queueMs > s.inferenceMs) {
      findings.push(
        `Queue-bound at ${s.target}: a request spent ${ms(s.serverMs)} in the server, of which ${ms(s.inferenceMs)} in a run and ${ms(s.queueMs)} ` +
          `waiting or in tokenizing and HTTP: more servers, workers or a larger batch would help more than a faster model.`,
      );
    } else if (s.busy < IDLE_BELOW) {
      findings.push(
        `Room to spare at ${s.target}: inference is ${ms(s.inferenceMs)} of the ${ms(s.serverMs)} a request spent in the server, but only ` +
          `${s.busy.toFixed(2)} s of inference per second: the load, not the server, set these figures.`,
      );
    } else {
      findings.push(
        `CPU-bound at ${s.target}: inference is ${ms(s.inferenceMs)} of the ${ms(s.serverMs)} a request spent in the server ` +
          `(${s.busy.toFixed(2)} s of inference per second): a faster model or more cores raise the capacity.`,
      );
    }
  }
  return findings;
}

/** The breakdown of a result; undefined when it holds neither per-target counts nor server times (older files). */
export function breakdownOf(result: LoadTestResult): Breakdown | undefined {
  if (!result.byTarget && !result.byModel && !result.serverTimes) return undefined;
  const targets = rowsOf(result.byTarget ?? [], result.durationSeconds, targetName);
  const models = rowsOf(result.byModel ?? [], result.durationSeconds, (n) => n);
  const servers = (result.serverTimes ?? []).flatMap((t) => splitOf(t, result.durationSeconds) ?? []);
  return { targets, models, servers, findings: findingsOf(targets, servers) };
}

/** One table of the breakdown: its title, column heads and rows of cell text, laid out alike by the Markdown and the HTML. */
export interface BreakdownTable {
  title: string;
  columns: string[];
  rows: string[][];
}

const PART_COLUMNS = ["req/s", "share", "p50", "p90", "p99", "errors"];

function partCells(row: PartRow): string[] {
  const errors = totalErrors(row.errors);
  return [
    row.name,
    Number(row.throughput.toPrecision(3)).toLocaleString("en-US"),
    `${(row.share * 100).toFixed(0)}%`,
    ms(row.p50),
    ms(row.p90),
    ms(row.p99),
    errors === 0 ? "0" : `${errors} (${(row.errorRate * 100).toFixed(1)}%)`,
  ];
}

/** The breakdown as tables: per server, per model, and the servers' own queue vs inference split. */
export function breakdownTables(breakdown: Breakdown): BreakdownTable[] {
  const tables: BreakdownTable[] = [];
  if (breakdown.targets.length > 0) tables.push({ title: "Per server", columns: ["server", ...PART_COLUMNS], rows: breakdown.targets.map(partCells) });
  if (breakdown.models.length > 0) tables.push({ title: "Per model", columns: ["model", ...PART_COLUMNS], rows: breakdown.models.map(partCells) });
  if (breakdown.servers.length > 0) {
    tables.push({
      title: "In the server (its /metrics): queue vs inference",
      columns: ["server", "time in server", "inference (per run)", "queue and the rest", "requests per run", "inference s per s"],
      rows: breakdown.servers.map((s) => [s.target, ms(s.serverMs), ms(s.inferenceMs), ms(s.queueMs), s.batch.toFixed(2), s.busy.toFixed(2)]),
    });
  }
  return tables;
}

/** Why a run has no server split, when it has none: the reader should know where to get one. */
export function missingSplitNote(result: LoadTestResult): string | undefined {
  if (result.serverTimes && result.serverTimes.length > 0) return undefined;
  if (result.generator === "k6") {
    // In the cluster /metrics is on the servers' metrics port, which the load-test namespace may not reach, and a
    // target is a Service: a scrape through it would read whichever replica answered, not the server's whole account.
    return (
      "No queue vs inference split: k6 in the cluster does not read the servers' /metrics (their metrics port is open " +
      "to the metrics scraper only); `fleet local` measures it on loopback."
    );
  }
  return (
    "No queue vs inference split: the servers' /metrics (model_server_* histograms) were not read during this run " +
    "(other servers, or /metrics on a separate port, do not give them)."
  );
}
