/**
 * Probes that cannot be starved (issue #22 item 3): --idle (300) connections that never send a byte are held
 * on the server's probe port (HEALTH_PORT, 256 connections), each reopened as soon as the server closes it
 * (or, with --reopen-after-ms, that long after), while --probes (30) kubelet-style liveness probes go out
 * --gap-ms (100) apart: a new connection each, GET /v2/health/live, Connection: close, 2 s timeout. Prints
 * how many answered 200 and their latency percentiles (the target: within 250 ms).
 *
 *   node --conditions=source --import tsx bench/probe-slowloris.ts [--idle 300] [--probes 30] [--reopen-after-ms 0]
 *
 * The server runs in its own process pinned to --server-core (default 1); the idle connections and the probes
 * come from this process. Needs taskset (Debian: apt-get install -y util-linux).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort, startServerProcess } from "@inference-fleet/model-server";
import { generateModel } from "@inference-fleet/model-zoo";

const { values: args } = parseArgs({
  options: {
    idle: { type: "string", default: "300" },
    probes: { type: "string", default: "30" },
    "gap-ms": { type: "string", default: "100" },
    "reopen-after-ms": { type: "string", default: "0" },
    "server-core": { type: "string", default: "1" },
  },
});

function probe(port: number): Promise<{ status: number; ms: number }> {
  const begun = performance.now();
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/v2/health/live", headers: { Connection: "close" }, timeout: 2000 }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - begun }));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve({ status: 0, ms: performance.now() - begun }));
    req.end();
  });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "probe-slowloris-"));
  const { dir } = await generateModel({ size: "tiny", seed: 7, outDir: join(root, "tiny") });
  const healthPort = await freePort();
  const server = await startServerProcess({ MODEL_DIR: dir, HEALTH_PORT: String(healthPort) }, { cpus: args["server-core"] });
  const held = new Set<Socket>();
  let stopping = false;
  let reopened = 0;
  const reopenAfter = Number(args["reopen-after-ms"]);
  const hold = () => {
    const socket = connect(healthPort, "127.0.0.1");
    held.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => {
      held.delete(socket);
      if (stopping) return;
      reopened++;
      setTimeout(hold, reopenAfter);
    });
  };
  try {
    for (let i = 0; i < Number(args.idle); i++) hold();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const results: { status: number; ms: number }[] = [];
    for (let i = 0; i < Number(args.probes); i++) {
      results.push(await probe(healthPort));
      await new Promise((resolve) => setTimeout(resolve, Number(args["gap-ms"])));
    }
    stopping = true;
    const ms = results.map((r) => r.ms).sort((a, b) => a - b);
    const ok = results.filter((r) => r.status === 200).length;
    console.log(`${args.idle} idle connections held on HEALTH_PORT (reopened ${reopenAfter} ms after each close; ${reopened} reopened):`);
    console.log(`  liveness probes answered 200: ${ok} of ${results.length}`);
    console.log(
      `  latency ms: p50 ${percentile(ms, 0.5).toFixed(1)}, p90 ${percentile(ms, 0.9).toFixed(1)}, max ${ms.at(-1)!.toFixed(1)} (target: within 250)`,
    );
    if (ok !== results.length) process.exitCode = 1;
  } finally {
    stopping = true;
    held.forEach((socket) => socket.destroy());
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
