/**
 * Slow-upload bench: many connections each send a body but withhold its last byte. How much memory
 * does the server take, does it give it back once they leave, and does it cut them at its deadline?
 *
 *   node --conditions=source --import tsx bench/slow-uploads.ts [--connections 3000] [--body-kb 250] [--hold-seconds 10] [--server-core 1]
 *     [--glibc-tunables glibc.malloc.mmap_threshold=4096]
 *
 * RSS is read from /proc/<pid>/status of the server (pinned to one core with taskset; default settings).
 * Needs taskset (Debian: util-linux).
 */
import { readFileSync } from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startServerProcess, type ServerProcess } from "@inference-fleet/model-server";
import { generateModel } from "@inference-fleet/model-zoo";

const { values: args } = parseArgs({
  options: {
    connections: { type: "string", default: "3000" },
    "body-kb": { type: "string", default: "250" },
    "hold-seconds": { type: "string", default: "10" },
    "idle-seconds": { type: "string", default: "20" },
    "server-core": { type: "string", default: "1" },
    /** GLIBC_TUNABLES for the server, e.g. glibc.malloc.mmap_threshold=4096 (bodies' buffers then go back to the OS when freed). */
    "glibc-tunables": { type: "string" },
  },
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function rssMb(server: ServerProcess): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, "utf8"))![1]) / 1024;
}

/** Opens a connection and sends all of a POST but its body's last byte; resolves once written (or refused). */
function slowUpload(port: number, bodyBytes: number, closed: { count: number; refused: number }): Promise<Socket> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.on("error", () => {});
    // Reading is what notices the server closing the connection (a paused socket never sees its end).
    let status = "";
    socket.on("data", (chunk: Buffer) => {
      if (status === "") status = chunk.toString("latin1", 9, 12);
    });
    socket.on("close", () => {
      closed.count++;
      if (status === "503") closed.refused++;
    });
    socket.on("connect", () => {
      const head = `POST /predictions/model0 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${bodyBytes}\r\n\r\n`;
      socket.write(head);
      socket.write(Buffer.alloc(bodyBytes - 1, 0x20), () => resolve(socket));
    });
    socket.on("close", () => resolve(socket));
  });
}

/** V8 heap used and external (ArrayBuffer) memory in MB, from the server's own /metrics. */
async function heapMb(server: ServerProcess): Promise<string> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const read = (name: string) => (Number(new RegExp(`^model_server_${name} (\\S+)`, "m").exec(text)?.[1] ?? NaN) / 2 ** 20).toFixed(0);
  return `heap ${read("nodejs_heap_size_used_bytes")}, external ${read("nodejs_external_memory_bytes")}`;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "bench-slow-uploads-"));
  let server: ServerProcess | undefined;
  try {
    const { dir } = await generateModel({ size: "tiny", seed: 7, outDir: join(work, "tiny") });
    const tunables: Record<string, string> = args["glibc-tunables"] ? { GLIBC_TUNABLES: args["glibc-tunables"] } : {};
    server = await startServerProcess({ MODEL_DIR: dir, THREADS: "1", ...tunables }, { cpus: args["server-core"]! });
    for (let i = 0; i < 200; i++) await fetch(`${server.url}/predictions/model0`).then((r) => r.text());
    await sleep(1000);
    const start = rssMb(server);
    const closed = { count: 0, refused: 0 };
    const connections = Number(args.connections);
    const began = performance.now();
    const sockets: Socket[] = [];
    for (let i = 0; i < connections; i += 100) {
      const batch = Array.from({ length: Math.min(100, connections - i) }, () => slowUpload(server!.port, Number(args["body-kb"]) * 1024, closed));
      sockets.push(...(await Promise.all(batch)));
    }
    let peak = rssMb(server);
    const refusedAtOnce = closed.count;
    const holdUntil = performance.now() + Number(args["hold-seconds"]) * 1000;
    while (performance.now() < holdUntil) {
      peak = Math.max(peak, rssMb(server));
      await sleep(250);
    }
    const openAfterHold = connections - closed.count;
    const refused = closed.refused;
    const health = await fetch(`${server.url}/v2/health/live`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status,
      () => 0,
    );
    sockets.forEach((socket) => socket.destroy());
    await sleep(5000);
    const after5 = rssMb(server);
    console.error(`5 s after: RSS ${after5.toFixed(0)} MB, ${await heapMb(server)}`);
    // Idle: V8's memory reducer and glibc's trimming act when allocation stops, not at once.
    await sleep(Number(args["idle-seconds"]) * 1000);
    const afterIdle = rssMb(server);
    console.error(`${args["idle-seconds"]} s later, idle: RSS ${afterIdle.toFixed(0)} MB, ${await heapMb(server)}`);
    // Ordinary traffic after they left: garbage is collected when the heap is in use, not while idle.
    const trafficUntil = performance.now() + 10_000;
    const answer = () => fetch(`${server!.url}/predictions/model0`).then((r) => r.text());
    while (performance.now() < trafficUntil) await Promise.all([answer(), answer(), answer(), answer()]);
    const after15 = rssMb(server);
    console.error(`after traffic: RSS ${after15.toFixed(0)} MB, ${await heapMb(server)}`);
    const settings = args["glibc-tunables"] ? `GLIBC_TUNABLES=${args["glibc-tunables"]}` : "default settings";
    const uploads = `${connections} connections x ${args["body-kb"]} KB bodies, last byte withheld, held ${args["hold-seconds"]} s`;
    console.log(`${uploads}; ${settings}, Node ${process.version}.\n`);
    console.log(
      "| RSS before MB | peak MB | 5 s after they left MB | after 10 s of ordinary traffic MB | after - before MB " +
        "| closed by then | open at end of hold | refused with 503 | health during |",
    );
    console.log("|---|---|---|---|---|---|---|---|---|");
    const mb = [start, peak, after5, after15, after15 - start].map((value) => value.toFixed(0));
    console.log(`| ${mb.join(" | ")} | ${refusedAtOnce} | ${openAfterHold} | ${refused} | ${health} |`);
    console.log(`\n(${((performance.now() - began) / 1000).toFixed(0)} s in all; goal: after - before <= 50 MB)`);
  } finally {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
