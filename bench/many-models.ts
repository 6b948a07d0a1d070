// Many unique models on one server: 500 distinct tiny models in a repository, a resident budget of a
// tenth of them, Zipf(1.1) model choice, open-loop load at a fixed rate. Reports the server's peak RSS
// against budget + 300 MB, warm p90 against a single-model server at the same rate, cold-load p99 and
// the hit rate (answers that did not wait for a load, told apart by the X-Model-Load: cold header).
//
//   node --conditions=source --import tsx bench/many-models.ts [--count 500] [--budget-models 50] [--rate 20] [--seconds 60]
//        [--convert ahead|on-load] [--cache-dir DIR] [--keep]
//
// The server runs pinned to one core (taskset) with one ORT thread; this process (the load) on the
// other. Needs taskset (util-linux). The generated repository (~9 GB for 500) is deleted at the end
// unless --keep.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createPicker, LatencyHistogram } from "@inference-fleet/load-test";
import { convertModelDirs, ORT_MODEL_FILE, SESSION_OVERHEAD_BYTES, startServerProcess, type ServerProcess } from "@inference-fleet/model-server";
import { generateManyModels } from "@inference-fleet/model-zoo";
import { Pool } from "undici";

const { values: args } = parseArgs({
  options: {
    count: { type: "string", default: "500" },
    "budget-models": { type: "string", default: "50" },
    rate: { type: "string", default: "20" },
    seconds: { type: "string", default: "60" },
    "warmup-seconds": { type: "string", default: "20" },
    zipf: { type: "string", default: "1.1" },
    dir: { type: "string", default: "/tmp/many-models-bench" },
    "server-core": { type: "string", default: "1" },
    "load-core": { type: "string", default: "0" },
    keep: { type: "boolean", default: false },
    // Reuse ORT-format conversions from an earlier run (as a server whose CACHE_DIR survived, or a
    // repository converted ahead of time); by default a fresh cache, so first loads convert.
    "cache-dir": { type: "string" },
    // ahead: model.ort written beside each model.onnx before the run (fleet model convert), as a
    // prepared repository ships; on-load: model.onnx only, each model converted on its first load.
    convert: { type: "string", default: "ahead" },
  },
});
const count = Number(args.count);
const rate = Number(args.rate);
const seconds = Number(args.seconds);
const warmupSeconds = Number(args["warmup-seconds"]);
const zipfS = Number(args.zipf);
const dir = args.dir!;
const names = Array.from({ length: count }, (_, i) => `model${i}`);

execFileSync("taskset", ["-p", "-c", args["load-core"]!, String(process.pid)], { stdio: "ignore" });

function rssMbOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

interface Phase {
  readonly warm: number[];
  readonly cold: number[];
  readonly errors: number;
  readonly peakRssMb: number;
}

/**
 * Open loop: request i is due at start + i / rate, whatever happened to earlier ones, and its latency
 * counts from when it was due (so a stalled server cannot hide its queue).
 */
async function openLoop(server: ServerProcess, pickModel: (i: number) => string, durationSeconds: number): Promise<Phase> {
  const pool = new Pool(server.url, { connections: 128, pipelining: 1 });
  const pid = server.pid!;
  const warm: number[] = [];
  const cold: number[] = [];
  let errors = 0;
  let peakRssMb = rssMbOf(pid);
  const rssTimer = setInterval(() => (peakRssMb = Math.max(peakRssMb, rssMbOf(pid))), 100);
  const total = Math.round(rate * durationSeconds);
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(
      pool.request({ method: "GET", path: `/predictions/${pickModel(i)}` }).then(
        async (response) => {
          await response.body.text();
          const ms = performance.now() - due;
          if (response.statusCode !== 200) errors++;
          else (response.headers["x-model-load"] === "cold" ? cold : warm).push(ms);
        },
        () => void errors++,
      ),
    );
  }
  await Promise.all(inFlight);
  clearInterval(rssTimer);
  peakRssMb = Math.max(peakRssMb, rssMbOf(pid));
  await pool.close();
  return { warm, cold, errors, peakRssMb };
}

/** Percentiles as every result in the workspace reads them: from the load test's latency histogram. */
function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const histogram = new LatencyHistogram();
  for (const ms of values) histogram.record(ms);
  return histogram.percentile(p);
}

async function metric(server: ServerProcess, name: string): Promise<string> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return text
    .split("\n")
    .filter((line) => line.startsWith(name))
    .join("; ");
}

async function main(): Promise<void> {
  const started = Date.now();
  if (!names.every((name) => existsSync(join(dir, name, "model.onnx")))) {
    console.error(`generating ${count} tiny models into ${dir} ...`);
    await generateManyModels({ count, size: "tiny", seedBase: 5000, outDir: dir });
  }
  if (args.convert === "ahead") {
    const converting = Date.now();
    const { converted } = await convertModelDirs(dir);
    if (converted.length > 0)
      console.error(`converted ${converted.length} models to model.ort ahead of the run in ${((Date.now() - converting) / 1000).toFixed(0)} s`);
  } else if (args.convert === "on-load") {
    await Promise.all(names.map((name) => rm(join(dir, name, ORT_MODEL_FILE), { force: true })));
  } else throw new Error(`--convert must be ahead or on-load, got ${args.convert}`);
  // What the server counts per resident model: the file plus the measured per-session overhead.
  const modelMb = (statSync(join(dir, "model0", "model.onnx")).size + SESSION_OVERHEAD_BYTES) / 2 ** 20;
  const budgetMb = Math.ceil(Number(args["budget-models"]) * modelMb);
  const fmt = (ms: number) => ms.toFixed(2);
  try {
    // Baseline: one model, every request warm, at the same rate.
    const single = await startServerProcess({ MODEL_DIR: join(dir, "model0"), THREADS: "1" }, { cpus: args["server-core"]! });
    let baseline: Phase;
    try {
      await openLoop(single, () => "model0", 3);
      baseline = await openLoop(single, () => "model0", seconds);
    } finally {
      await single.stop();
    }

    // A fresh cache unless --cache-dir: a model without model.ort then pays its conversion inside the measurement.
    const cacheDir = args["cache-dir"] ?? (await mkdtemp(join(tmpdir(), "many-models-cache-")));
    const repoEnv = { MODEL_REPO: dir, MAX_RESIDENT_MB: String(budgetMb), CACHE_DIR: cacheDir, THREADS: "1" };
    const repo = await startServerProcess(repoEnv, { cpus: args["server-core"]! });
    const pick = createPicker({ targetCount: 1, modelCount: count, sequential: false, distribution: "zipf", zipfS, routing: "shard", models: names });
    const chooseModel = () => names[pick(0, Math.random).model]!;
    let warmup: Phase;
    let measured: Phase;
    let serverMetrics: string[];
    let conversions = 0;
    try {
      warmup = await openLoop(repo, chooseModel, warmupSeconds);
      measured = await openLoop(repo, chooseModel, seconds);
      const metricNames = ["repository_loads_total", "repository_evictions_total", "resident_models", "resident_bytes"].map((name) => `model_server_${name}`);
      serverMetrics = await Promise.all(metricNames.map((name) => metric(repo, name)));
      conversions = (await readdir(join(cacheDir, "ort-format")).catch(() => [])).filter((name) => name.endsWith(".ort")).length;
    } finally {
      await repo.stop();
      if (args["cache-dir"] === undefined) await rm(cacheDir, { recursive: true, force: true });
    }

    const answered = measured.warm.length + measured.cold.length;
    const peakRss = Math.max(warmup.peakRssMb, measured.peakRssMb);
    console.log(
      `\n${count} unique tiny models, ` +
        `${args.convert === "ahead" ? "model.ort converted ahead (fleet model convert)" : "model.onnx only (converted on first load)"} ` +
        `(${modelMb.toFixed(1)} MB each counted: model.onnx + session overhead), budget ${args["budget-models"]} models = ${budgetMb} MB, Zipf(${zipfS}), ` +
        `open loop ${rate} req/s, ${warmupSeconds} s warm-up + ${seconds} s measured; server on core ${args["server-core"]} (1 ORT thread), load on core ` +
        `${args["load-core"]}; Node ${process.version}.\n`,
    );
    console.log("| server | requests | errors | p50 ms | p90 ms | p99 ms | peak RSS MB |");
    console.log("|---|--:|--:|--:|--:|--:|--:|");
    console.log(
      `| single model | ${baseline.warm.length} | ${baseline.errors} | ${fmt(percentile(baseline.warm, 50))} | ${fmt(percentile(baseline.warm, 90))} | ` +
        `${fmt(percentile(baseline.warm, 99))} | ${baseline.peakRssMb.toFixed(0)} |`,
    );
    console.log(
      `| repository, warm answers | ${measured.warm.length} | ${measured.errors} | ${fmt(percentile(measured.warm, 50))} | ` +
        `${fmt(percentile(measured.warm, 90))} | ${fmt(percentile(measured.warm, 99))} | ${peakRss.toFixed(0)} |`,
    );
    console.log(
      `| repository, cold answers (waited for a load) | ${measured.cold.length} | | ${fmt(percentile(measured.cold, 50))} | ` +
        `${fmt(percentile(measured.cold, 90))} | ${fmt(percentile(measured.cold, 99))} | |`,
    );
    console.log(
      `| repository, all answers | ${answered} | ${measured.errors} | ${fmt(percentile([...measured.warm, ...measured.cold], 50))} | ` +
        `${fmt(percentile([...measured.warm, ...measured.cold], 90))} | ${fmt(percentile([...measured.warm, ...measured.cold], 99))} | |`,
    );
    console.log(
      `\nhit rate (answers that found their model resident): ${((measured.warm.length / answered) * 100).toFixed(1)}% (Zipf ideal with the top ` +
        `${args["budget-models"]} pinned: ${(idealHitRate() * 100).toFixed(1)}%)`,
    );
    console.log(`warm p90 / single-model p90: ${(percentile(measured.warm, 90) / percentile(baseline.warm, 90)).toFixed(2)} (goal <= 1.2)`);
    console.log(`peak RSS ${peakRss.toFixed(0)} MB vs budget + 300 MB = ${(budgetMb + 300).toFixed(0)} MB: ${peakRss <= budgetMb + 300 ? "within" : "OVER"}`);
    console.log(`server metrics at the end: ${serverMetrics.join(" | ")}`);
    console.log(
      args["cache-dir"] === undefined
        ? `conversions on first load, during this run: ${conversions}`
        : `ORT-format files in ${args["cache-dir"]} (reused) at the end: ${conversions}`,
    );
    console.log(`bench wall time ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    if (!args.keep) await rm(dir, { recursive: true, force: true });
  }
}

function idealHitRate(): number {
  const weight = (k: number) => 1 / Math.pow(k, zipfS);
  let top = 0;
  let all = 0;
  for (let k = 1; k <= count; k++) {
    all += weight(k);
    if (k <= Number(args["budget-models"])) top += weight(k);
  }
  return top / all;
}

await main();
