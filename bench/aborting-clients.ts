/**
 * Cancelled work is not done (issue #22 item 4): under a keep-alive load of --connections (64) a further
 * --aborting (200) clients each send a whole POST /predictions/model0 and hang up 1-10 ms later, while
 * their requests wait in the batch queue behind the load. /metrics must then show one 499 per aborting
 * client, and no more inferences (model_server_batch_size_sum: rows computed) than 2xx answers plus one
 * batch (MAX_BATCH): the dropped requests were not computed.
 *
 *   node --conditions=source --import tsx bench/aborting-clients.ts [--seconds 10] [--connections 64] [--aborting 200]
 *
 * The server runs pinned to --server-core (default 1). The load is this process's own closed loop of keep-alive
 * connections (GET /predictions/model0, which runs the model with the sample's question and context), not wrk:
 * wrk cuts its connections with requests in flight when it stops, and those would be 499s (and computed
 * batches) of their own. Needs taskset (Debian: apt-get install -y util-linux).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startServerProcess } from "@inference-fleet/model-server";
import { generateModel } from "@inference-fleet/model-zoo";

const { values: args } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    connections: { type: "string", default: "64" },
    aborting: { type: "string", default: "200" },
    "max-batch": { type: "string", default: "4" },
    "server-core": { type: "string", default: "1" },
  },
});
const seconds = Number(args.seconds);
const aborting = Number(args.aborting);

/**
 * `connections` keep-alive clients, each sending its next request when its answer has arrived, until `stop()`;
 * stop lets each finish the request it has in flight, so none is cut. Resolves with the answers by status.
 */
function closedLoop(url: string, connections: number): { stop: () => Promise<Map<number, number>> } {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const statuses = new Map<number, number>();
  let stopping = false;
  const one = () =>
    new Promise<void>((resolve) => {
      const req = request(url, { agent }, (res) => {
        res.resume();
        res.on("end", () => {
          statuses.set(res.statusCode ?? 0, (statuses.get(res.statusCode ?? 0) ?? 0) + 1);
          resolve();
        });
      });
      req.on("error", () => {
        statuses.set(0, (statuses.get(0) ?? 0) + 1);
        resolve();
      });
      req.end();
    });
  const loops = Array.from({ length: connections }, async () => {
    while (!stopping) await one();
  });
  return {
    async stop() {
      stopping = true;
      await Promise.all(loops);
      agent.destroy();
      return statuses;
    },
  };
}

/** model_server_requests_total summed over series whose labels match `filter`. */
function requests(metrics: string, filter: (labels: string) => boolean): number {
  let sum = 0;
  for (const [, labels, value] of metrics.matchAll(/^model_server_requests_total\{([^}]*)\} (\d+)/gm)) if (filter(labels!)) sum += Number(value);
  return sum;
}

function total(metrics: string, name: string): number {
  let sum = 0;
  for (const [, value] of metrics.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, "gm"))) sum += Number(value);
  return sum;
}

/** One client that sends a whole request and hangs up 1-10 ms later, without reading the answer. */
function abortAfterSending(port: number, body: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.on("error", () => {});
    socket.on("close", () => resolve());
    socket.write(
      `POST /predictions/model0 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      () => setTimeout(() => socket.destroy(), 1 + Math.random() * 9),
    );
  });
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "aborting-clients-"));
  const { dir } = await generateModel({ size: "tiny", seed: 7, outDir: join(root, "tiny") });
  const server = await startServerProcess({ MODEL_DIR: dir, MAX_BATCH: args["max-batch"] }, { cpus: args["server-core"] });
  try {
    const url = `${server.url}/predictions/model0`;
    const body = JSON.stringify({ seq_0: "Who hung up?", seq_1: "The client hung up before its answer came back." });
    const warmUp = closedLoop(url, 16);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await warmUp.stop();
    const before = await (await fetch(`${server.url}/metrics`)).text();
    const started = performance.now();
    const load = closedLoop(url, Number(args.connections));
    // The aborting clients in waves of 20 through the middle of the run, while the load keeps the queue busy.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const waves = Math.ceil(aborting / 20);
    const gap = ((seconds - 2) * 1000) / waves;
    const clients: Promise<void>[] = [];
    for (let wave = 0; wave < waves; wave++) {
      for (let i = 0; i < Math.min(20, aborting - wave * 20); i++) clients.push(abortAfterSending(server.port, body));
      await new Promise((resolve) => setTimeout(resolve, gap));
    }
    await Promise.all(clients);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, seconds * 1000 - (performance.now() - started))));
    const seen = await load.stop();
    const elapsed = (performance.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = await (await fetch(`${server.url}/metrics`)).text();
    const delta = (read: (metrics: string) => number) => read(after) - read(before);
    const inference = (labels: string) => labels.includes('route="/predictions/:model"');
    const ok = delta((m) => requests(m, (l) => inference(l) && /status="2\d\d"/.test(l)));
    const closed = delta((m) => requests(m, (l) => inference(l) && l.includes('status="499"')));
    const other = delta((m) => requests(m, (l) => inference(l) && !/status="(2\d\d|499)"/.test(l)));
    const inferences = delta((m) => total(m, "model_server_batch_size_sum"));
    const batches = delta((m) => total(m, "model_server_batch_size_count"));
    const maxBatch = Number(args["max-batch"]);
    const loadOk = [...seen].filter(([status]) => status >= 200 && status < 300).reduce((sum, [, n]) => sum + n, 0);
    const loadOther = [...seen].filter(([status]) => status < 200 || status >= 300);
    console.log(
      `${args.connections} keep-alive connections for ${elapsed.toFixed(1)} s (${(loadOk / elapsed).toFixed(0)} answers/s` +
        `${loadOther.length ? `; not 2xx: ${JSON.stringify(Object.fromEntries(loadOther))}` : ""}) + ${aborting} clients hanging up after sending their body:`,
    );
    console.log(`  2xx answers            ${ok}`);
    console.log(`  499 (client gone)      ${closed} (expected ${aborting})`);
    console.log(`  other statuses         ${other}`);
    console.log(`  inferences computed    ${inferences} in ${batches} batches (model_server_batch_size_sum / _count)`);
    console.log(`  computed beyond 2xx    ${inferences - ok} (allowed: one batch, ${maxBatch})`);
    const pass = closed === aborting && inferences <= ok + maxBatch;
    console.log(pass ? "PASS" : "FAIL");
    if (!pass) process.exitCode = 1;
  } finally {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
