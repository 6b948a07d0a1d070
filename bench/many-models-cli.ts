/**
 * Many models through the CLI's default path, as a user would run them: `npx fleet model generate-many`,
 * then `npx fleet serve --model-repo DIR --max-resident-mb BUDGET` with no other step (no `fleet model
 * convert`, no environment of one's own), and every model requested twice (all of them, then all
 * again). Reports the server's peak RSS (VmHWM of the node process that serves, not npx's) against
 * budget + 300 MB.
 *
 *   node --conditions=source --import tsx bench/many-models-cli.ts [--count 60] [--budget-mb 100] [--concurrency 1] [--server-core 1]
 *     [--env NAME=VALUE ...]
 *
 * --env adds variables to the server's environment (to compare malloc settings, e.g. MALLOC_ARENA_MAX=8).
 * The server is pinned to --server-core with taskset (util-linux), this process to the other core.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startServerProcess } from "@inference-fleet/model-server";

const { values: args } = parseArgs({
  options: {
    count: { type: "string", default: "60" },
    "budget-mb": { type: "string", default: "100" },
    concurrency: { type: "string", default: "1" },
    "server-core": { type: "string", default: "1" },
    "load-core": { type: "string", default: "0" },
    env: { type: "string", multiple: true, default: [] },
  },
});
const count = Number(args.count);
const budgetMb = Number(args["budget-mb"]);
const ROOT = fileURLToPath(new URL("../", import.meta.url));
const extraEnv = Object.fromEntries(
  args.env.map((pair) => {
    const at = pair.indexOf("=");
    if (at < 1) throw new Error(`--env takes NAME=VALUE, got ${JSON.stringify(pair)}.`);
    return [pair.slice(0, at), pair.slice(at + 1)];
  }),
);

/** The kB figures of /proc/PID/status, in MB; undefined once the process is gone. */
function memoryOf(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)![1]);
    return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
  } catch {
    return undefined;
  }
}

/** The process that serves: the deepest node process under `pid` (npx may run a shell, and that shell node). */
function servingProcess(pid: number): number {
  const childrenOf = (parent: number) =>
    readdirSync("/proc")
      .filter((name) => /^\d+$/.test(name))
      .filter((name) => {
        try {
          return Number(readFileSync(`/proc/${name}/stat`, "utf8").split(") ")[1]!.split(" ")[1]) === parent;
        } catch {
          return false;
        }
      })
      .map(Number);
  // Through shells and node processes only: tsx's esbuild service is a child of the server too.
  const onPath = (child: number) => ["node", "sh"].includes(readFileSync(`/proc/${child}/comm`, "utf8").trim());
  let current = pid;
  for (let next = childrenOf(current).find(onPath); next !== undefined; next = childrenOf(current).find(onPath)) current = next;
  return current;
}

async function main(): Promise<void> {
  execFileSync("taskset", ["-p", "-c", args["load-core"]!, String(process.pid)], { stdio: "ignore" });
  const dir = await mkdtemp(join(tmpdir(), "many-models-cli-"));
  const names = Array.from({ length: count }, (_, i) => `model${i}`);
  try {
    const generating = performance.now();
    execFileSync("npx", ["fleet", "model", "generate-many", "--count", String(count), "--out", dir], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
    console.error(`generated ${count} tiny models in ${((performance.now() - generating) / 1000).toFixed(0)} s`);
    const server = await startServerProcess(
      { ...extraEnv },
      {
        name: "fleet serve",
        readyTimeoutMs: 120_000,
        launch: (env) => ({
          command: "taskset",
          args: ["-c", args["server-core"]!, "npx", "fleet", "serve", "--model-repo", dir, "--max-resident-mb", String(budgetMb)],
          env: { ...process.env, ...env },
          cwd: ROOT,
        }),
      },
    );
    const pid = servingProcess(server.pid!);
    const atStart = memoryOf(pid)!;
    const tunables = readFileSync(`/proc/${pid}/environ`, "latin1")
      .split("\0")
      .find((entry) => entry.startsWith("GLIBC_TUNABLES="));
    let peak = atStart.hwm;
    const sample = () => (peak = Math.max(peak, memoryOf(pid)?.hwm ?? peak));
    const timer = setInterval(sample, 100);
    const statuses = new Map<number, number>();
    const started = performance.now();
    let end: { rss: number; hwm: number } | undefined;
    try {
      const queue = [...names, ...names];
      const worker = async () => {
        for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
          const response = await fetch(`${server.url}/predictions/${name}`, { signal: AbortSignal.timeout(60_000) });
          await response.text();
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        }
      };
      await Promise.all(Array.from({ length: Number(args.concurrency) }, worker));
      sample();
      end = memoryOf(pid);
    } finally {
      clearInterval(timer);
      // npm exec does not pass SIGTERM on to the command it runs: stop the serving process itself, then npx.
      process.kill(pid, "SIGTERM");
      await server.stop();
    }
    const limit = budgetMb + 300;
    const settings = Object.keys(extraEnv).length > 0 ? args.env.join(" ") : "default environment";
    console.log(
      `${count} tiny models from fleet model generate-many, fleet serve --model-repo --max-resident-mb ${budgetMb} (${settings}), ` +
        `every model twice, ${args.concurrency} at a time, in ${((performance.now() - started) / 1000).toFixed(0)} s; answers by status: ` +
        `${JSON.stringify(Object.fromEntries(statuses))}; Node ${process.version}.`,
    );
    console.log(
      `server RSS at ready ${atStart.rss.toFixed(0)} MB; peak (VmHWM) ${peak.toFixed(0)} MB${end ? `, RSS at the end ${end.rss.toFixed(0)} MB` : ""}; ` +
        `budget + 300 MB = ${limit} MB: ${peak <= limit ? "within" : "OVER"}; the serving process (pid ${pid}) ran with ${tunables ?? "no GLIBC_TUNABLES"}`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
