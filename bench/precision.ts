/**
 * fp32 against int8 (fleet model quantize), in one run: in-process ONNX Runtime on one core (taskset, one
 * intra-op thread) for the tiny, mini and base models at batch 1 and 4, sequence 59 and 128 (throughput,
 * latency, CPU time, model size); the fidelity of each int8 model (fleet model compare on N random pairs);
 * then the HTTP server on one core with each model, wrk on the other.
 *
 *   node --conditions=source --import tsx bench/precision.ts [--sizes tiny,mini,base] [--seconds 2] [--rounds 3]
 *        [--pairs 1000] [--http-seconds 5] [--http-rounds 2] [--no-http] [--core 1] [--load-core 0] [--reduce-range auto|on|off]
 *
 * --reduce-range: int8 weights of 7 bits (on), 8 bits (off), or chosen for this CPU (auto, the default: 7 on x86
 * without VNNI); the first line printed names the CPU and the choice, since int8 speed and accuracy depend on both.
 *
 * The machine is shared and noisy, so each model's points run in their own child process, fp32 and int8
 * one after the other, rounds interleaved; the int8/fp32 ratio is taken within each round, and the table
 * shows the median of those ratios next to each model's best round. Also measures the "fused" quantized
 * format (com.microsoft.DynamicQuantizeMatMul written directly) against the default "standard" one.
 *
 * Needs taskset, and wrk for the HTTP part (Debian: apt-get install -y wrk util-linux).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_CONTEXT, DEFAULT_QUESTION, startServerProcess, WordPieceTokenizer } from "@inference-fleet/model-server";
import { generateModel, localInt8Cpu, quantizeModelDir, reduceRangeFor, type PresetName, type QuantizedMatMulFormat } from "@inference-fleet/model-zoo";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { compareModels, type CompareReport } from "@inference-fleet/scripts";
import { cpuTimeUs, parseWrkOutput } from "./wrk.js";

const { values: args } = parseArgs({
  options: {
    sizes: { type: "string", default: "tiny,mini,base" },
    seconds: { type: "string", default: "2" },
    rounds: { type: "string", default: "3" },
    pairs: { type: "string", default: "1000" },
    "http-seconds": { type: "string", default: "5" },
    "http-rounds": { type: "string", default: "2" },
    "no-http": { type: "boolean", default: false },
    "reduce-range": { type: "string", default: "auto" },
    core: { type: "string", default: "1" },
    "load-core": { type: "string", default: "0" },
    child: { type: "string" },
    model: { type: "string" },
  },
});
const seconds = Number(args.seconds);
const CONFIGS = [
  { batch: 1, seq: 59 },
  { batch: 1, seq: 128 },
  { batch: 4, seq: 59 },
  { batch: 4, seq: 128 },
] as const;
type Config = (typeof CONFIGS)[number];
const key = (c: Config) => `b${c.batch} s${c.seq}`;

interface Point {
  /** Inferences (rows) per second. */
  readonly rate: number;
  /** Latency of one session.run, ms. */
  readonly p50: number;
  readonly p99: number;
  /** CPU time per inference (row), us. */
  readonly cpuUs: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Child: one model, every config, one thread; prints JSON { "<config>": Point }. */
async function inProcessChild(path: string): Promise<void> {
  const session = await InferenceSession.create(path, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    executionMode: "sequential",
  });
  const out: Record<string, Point> = {};
  for (const config of CONFIGS) {
    const n = config.batch * config.seq;
    const tensor = (f: (i: number) => number) =>
      new Tensor(
        "int64",
        BigInt64Array.from({ length: n }, (_, i) => BigInt(f(i))),
        [config.batch, config.seq],
      );
    const feeds = {
      input_ids: tensor((i) => 1000 + ((i * 7919) % 29000)),
      attention_mask: tensor(() => 1),
      token_type_ids: tensor((i) => (i % config.seq >= 16 ? 1 : 0)),
    };
    const warmUntil = performance.now() + Math.min(1000, seconds * 300);
    for (let i = 0; i < 3 || performance.now() < warmUntil; i++) await session.run(feeds);
    const latencies: number[] = [];
    const cpuStart = process.cpuUsage();
    const started = performance.now();
    while (latencies.length < 5 || performance.now() - started < seconds * 1000) {
      const t = performance.now();
      await session.run(feeds, ["start_logits", "end_logits"]);
      latencies.push(performance.now() - t);
    }
    const elapsed = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    latencies.sort((a, b) => a - b);
    const inferences = latencies.length * config.batch;
    out[key(config)] = {
      rate: inferences / elapsed,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      cpuUs: (cpu.user + cpu.system) / inferences,
    };
  }
  await session.release();
  process.stdout.write(JSON.stringify(out));
}

function runChild(path: string): Record<string, Point> {
  const out = execFileSync(
    "taskset",
    [
      "-c",
      args.core!,
      process.execPath,
      "--conditions=source",
      "--import",
      "tsx",
      "bench/precision.ts",
      "--child",
      "inprocess",
      "--model",
      path,
      "--seconds",
      String(seconds),
    ],
    {
      encoding: "utf8",
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(out) as Record<string, Point>;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

// ---------------------------------------------------------------- HTTP

function wrk(port: number, script: string, duration: number): { rps: number; p50: number; p99: number; requests: number } {
  const out = execFileSync(
    "taskset",
    ["-c", args["load-core"]!, "wrk", "-t1", "-c4", `-d${duration}s`, "--timeout", "10s", "--latency", "-s", script, `http://127.0.0.1:${port}/`],
    { encoding: "utf8" },
  );
  return parseWrkOutput(out);
}

interface HttpPoint {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly cpuUs: number;
  readonly precision: unknown;
}

/** The server logs to `logFile`: wrk runs in execFileSync, and an undrained pipe would stall the server meanwhile. */
async function httpPoint(dir: string, script: string, duration: number, logFile: string): Promise<HttpPoint> {
  const server = await startServerProcess({ MODEL_DIR: dir, THREADS: "1" }, { name: `the server for ${dir}`, cpus: args.core!, logFile });
  try {
    const metadata = (await (await fetch(`${server.url}/v2/models/model0`)).json()) as { parameters?: Record<string, unknown> };
    wrk(server.port, script, Math.max(2, Math.round(duration / 2)));
    const before = cpuTimeUs(server.pid!);
    const { requests, ...result } = wrk(server.port, script, duration);
    return { ...result, cpuUs: (cpuTimeUs(server.pid!) - before) / Math.max(1, requests), precision: metadata.parameters?.["precision"] };
  } finally {
    await server.stop();
  }
}

// ---------------------------------------------------------------- main

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

async function main(): Promise<void> {
  if (args.child === "inprocess") return inProcessChild(args.model!);
  const sizes = args.sizes!.split(",") as PresetName[];
  const reduceRange = { auto: reduceRangeFor(localInt8Cpu()), on: true, off: false }[args["reduce-range"] as "auto" | "on" | "off"];
  if (reduceRange === undefined) throw new Error(`--reduce-range must be auto, on or off, got "${args["reduce-range"]}".`);
  console.log(
    `CPU: ${cpus()[0]?.model ?? "unknown"}, ${localInt8Cpu().described}; int8 weights: ${reduceRange ? 7 : 8}-bit (--reduce-range ${args["reduce-range"]})`,
  );
  const work = mkdtempSync(join(tmpdir(), "bench-precision-"));
  try {
    const variants: Array<{ size: PresetName; label: string; dir: string; bytes: number; format?: QuantizedMatMulFormat }> = [];
    for (const size of sizes) {
      const fp32 = await generateModel({ size, seed: 7, outDir: join(work, size) });
      variants.push({ size, label: "fp32", dir: fp32.dir, bytes: fp32.bytes });
      for (const format of ["standard", "fused"] as const) {
        const started = performance.now();
        const q = await quantizeModelDir({ dir: fp32.dir, outDir: join(work, `${size}-int8-${format}`), format, reduceRange });
        console.error(
          `${size}: quantized (${format}) in ${((performance.now() - started) / 1000).toFixed(2)} s: ${mb(q.bytes)} = ` +
            `${((100 * q.bytes) / fp32.bytes).toFixed(1)}% of ${mb(fp32.bytes)}`,
        );
        variants.push({ size, label: format === "standard" ? "int8" : "int8 fused", dir: q.dir, bytes: q.bytes, format });
      }
    }

    // In-process, interleaved rounds; the order of the variants rotates each round.
    const results = new Map<string, Array<Record<string, Point>>>();
    const rounds = Number(args.rounds);
    for (let round = 0; round < rounds; round++) {
      for (const size of sizes) {
        const ofSize = variants.filter((v) => v.size === size);
        for (let i = 0; i < ofSize.length; i++) {
          const variant = ofSize[(i + round) % ofSize.length]!;
          const points = runChild(join(variant.dir, "model.onnx"));
          const id = `${size}/${variant.label}`;
          results.set(id, [...(results.get(id) ?? []), points]);
          console.error(`round ${round + 1}: ${id}: ${CONFIGS.map((c) => `${key(c)} ${points[key(c)]!.rate.toFixed(1)}/s`).join(", ")}`);
        }
      }
    }

    const cpu = cpus()[0]?.model ?? "unknown CPU";
    console.log(
      `\n## In-process ONNX Runtime, one core (taskset -c ${args.core}), 1 thread, ${seconds} s per point after warm-up, ${rounds} interleaved rounds`,
    );
    console.log(
      `${cpu}, Node ${process.version}, onnxruntime-node 1.30. Rate = inferences (rows) per second; ratio = median over rounds of int8/fp32 within the ` +
        `round.\n`,
    );
    console.log(
      "| model | batch, seq | fp32 inf/s | int8 inf/s | int8/fp32 (median of rounds) | int8 fused inf/s | fused/fp32 | fp32 p50 ms | int8 p50 ms | fp32 CPU " +
        "us/inf | int8 CPU us/inf | fp32/int8 CPU time (median) | fp32/fused CPU time |",
    );
    console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    const best = (id: string, k: string) =>
      results.get(id)!.reduce((a, r) => (r[k]!.rate > a.rate ? r[k]! : a), { rate: 0, p50: 0, p99: 0, cpuUs: 0 } as Point);
    const ratio = (id: string, base: string, k: string) => median(results.get(id)!.map((r, i) => r[k]!.rate / results.get(base)![i]![k]!.rate));
    // CPU time per inference is what other tenants of the core disturb least (they stretch wall time, not ours).
    const cpuRatio = (id: string, base: string, k: string) => median(results.get(id)!.map((r, i) => results.get(base)![i]![k]!.cpuUs / r[k]!.cpuUs));
    for (const size of sizes) {
      for (const config of CONFIGS) {
        const k = key(config);
        const [f, q, fused] = [best(`${size}/fp32`, k), best(`${size}/int8`, k), best(`${size}/int8 fused`, k)];
        console.log(
          `| ${size} | ${config.batch}, ${config.seq} | ${f.rate.toFixed(1)} | ${q.rate.toFixed(1)} | ` +
            `**${ratio(`${size}/int8`, `${size}/fp32`, k).toFixed(2)}x** | ${fused.rate.toFixed(1)} | ` +
            `${ratio(`${size}/int8 fused`, `${size}/fp32`, k).toFixed(2)}x | ${f.p50.toFixed(2)} | ${q.p50.toFixed(2)} | ${f.cpuUs.toFixed(0)} | ` +
            `${q.cpuUs.toFixed(0)} | ${cpuRatio(`${size}/int8`, `${size}/fp32`, k).toFixed(2)}x | ` +
            `${cpuRatio(`${size}/int8 fused`, `${size}/fp32`, k).toFixed(2)}x |`,
        );
      }
    }
    console.log("\n| model | fp32 model.onnx | int8 model.onnx | int8 / fp32 |");
    console.log("|---|---|---|---|");
    for (const size of sizes) {
      const [f, q] = [variants.find((v) => v.size === size && v.label === "fp32")!, variants.find((v) => v.size === size && v.label === "int8")!];
      console.log(`| ${size} | ${f.bytes.toLocaleString("en-US")} B | ${q.bytes.toLocaleString("en-US")} B | ${((100 * q.bytes) / f.bytes).toFixed(1)}% |`);
    }

    // Fidelity.
    const pairs = Number(args.pairs);
    console.log(`\n## Fidelity: int8 against fp32 on ${pairs} random question/context pairs (fleet model compare, seed 1, up to 128 tokens)\n`);
    console.log("| model | answer span agreement | answer token F1 | mean logits cosine | lowest cosine | max abs error | largest abs logit |");
    console.log("|---|---|---|---|---|---|---|");
    for (const size of sizes) {
      const [f, q] = [variants.find((v) => v.size === size && v.label === "fp32")!, variants.find((v) => v.size === size && v.label === "int8")!];
      const report: CompareReport = await compareModels({ a: f.dir, b: q.dir, pairs });
      console.log(
        `| ${size} | ${(100 * report.answerAgreement).toFixed(1)}% | ${(100 * report.answerF1).toFixed(1)}% | ${report.meanCosine.toFixed(5)} | ` +
          `${report.minCosine.toFixed(5)} | ${report.maxAbsError.toPrecision(3)} | ${report.maxAbsLogit.toPrecision(3)} |`,
      );
    }

    if (!args["no-http"]) {
      const get = join(work, "get.lua");
      writeFileSync(get, 'wrk.method = "GET"\nwrk.path = "/predictions/model0"\n');
      const tokenizer = await WordPieceTokenizer.fromFile(join(variants[0]!.dir, "tokenizer.json"));
      const tokens = tokenizer.encodePair(DEFAULT_QUESTION, DEFAULT_CONTEXT, 128).ids.length;
      const httpSeconds = Number(args["http-seconds"]);
      const http = new Map<string, HttpPoint[]>();
      for (let round = 0; round < Number(args["http-rounds"]); round++) {
        for (const size of sizes) {
          for (const label of round % 2 ? ["int8", "fp32"] : ["fp32", "int8"]) {
            const variant = variants.find((v) => v.size === size && v.label === label)!;
            const point = await httpPoint(variant.dir, get, httpSeconds, join(work, "server.log"));
            http.set(`${size}/${label}`, [...(http.get(`${size}/${label}`) ?? []), point]);
            console.error(
              `http round ${round + 1}: ${size}/${label}: ${point.rps.toFixed(1)} req/s, ${point.cpuUs.toFixed(0)} us CPU/req, precision ` +
                `${String(point.precision)}`,
            );
          }
        }
      }
      console.log(
        `\n## HTTP server on one core (taskset -c ${args.core}, THREADS=1, default workers), wrk -c4 on core ${args["load-core"]}, GET /predictions/model0 ` +
          `(the sample's pair, ${tokens} tokens), ${httpSeconds} s after warm-up, ${args["http-rounds"]} interleaved rounds\n`,
      );
      console.log(
        "| model | fp32 req/s | int8 req/s | int8/fp32 (median of rounds) | fp32 CPU us/req | int8 CPU us/req | fp32 p50 / p99 ms | int8 p50 / p99 ms | /v2 " +
          "precision |",
      );
      console.log("|---|---|---|---|---|---|---|---|---|");
      for (const size of sizes) {
        const [f, q] = [http.get(`${size}/fp32`)!, http.get(`${size}/int8`)!];
        const bestOf = (points: HttpPoint[]) => points.reduce((a, b) => (b.rps > a.rps ? b : a));
        const [bf, bq] = [bestOf(f), bestOf(q)];
        const r = median(q.map((p, i) => p.rps / f[i]!.rps));
        console.log(
          `| ${size} | ${bf.rps.toFixed(1)} | ${bq.rps.toFixed(1)} | **${r.toFixed(2)}x** | ${bf.cpuUs.toFixed(0)} | ${bq.cpuUs.toFixed(0)} | ` +
            `${bf.p50.toFixed(1)} / ${bf.p99.toFixed(1)} | ${bq.p50.toFixed(1)} / ${bq.p99.toFixed(1)} | ${String(bf.precision)}, ${String(bq.precision)} |`,
        );
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
