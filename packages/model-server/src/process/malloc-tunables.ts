import { spawn } from "node:child_process";

/**
 * glibc's malloc setting the model server runs with: the mmap threshold fixed at 16 KiB. glibc otherwise
 * raises the threshold to the size of each large block freed (up to 32 MiB), after which model bytes,
 * ONNX Runtime's tensors and tokenizer files come from the heap, and the holes they leave are never
 * returned: 60 tiny models, each requested twice under a 100 MB budget, peaked at 397-428 MB of RSS with
 * the moving threshold, 353 MB with it fixed at 128 KiB (bench/many-models-cli.ts). 16 KiB, not glibc's
 * 128 KiB, because sockets' reads are 64 KiB blocks: after 3,000 slow uploads left, the heap kept 146 MB
 * of them at 128 KiB and RSS ended 116-133 MB over its start; at 16 KiB it ended at or below its start
 * (bench/slow-uploads.ts), and peak and overload throughput did not drop (bench/overload.ts, same run).
 * glibc reads it only at process start, so whoever starts the server sets it: the container image's
 * ENV, startServerProcess, and `fleet serve` (which runs itself again with it).
 */
export const MALLOC_TUNABLES = "glibc.malloc.mmap_threshold=16384";

/** Whether `env` already says how malloc's mmap threshold is set (a user's own value wins). */
export function hasMallocTunables(env: NodeJS.ProcessEnv): boolean {
  return (env["GLIBC_TUNABLES"] ?? "").includes("glibc.malloc.mmap_threshold=");
}

/** `env` with MALLOC_TUNABLES added to GLIBC_TUNABLES, unless it sets the threshold itself. */
export function withMallocTunables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (hasMallocTunables(env)) return env;
  const existing = env["GLIBC_TUNABLES"];
  return { ...env, GLIBC_TUNABLES: existing ? `${existing}:${MALLOC_TUNABLES}` : MALLOC_TUNABLES };
}

/**
 * Runs this same command again in a child with MALLOC_TUNABLES set, passing SIGTERM and SIGINT on,
 * and resolves with its exit code (128 + signal number when a signal ended it, as a shell reports it).
 */
export function rerunWithMallocTunables(): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit", env: withMallocTunables(process.env) });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on("SIGTERM", forward);
  process.on("SIGINT", forward);
  return new Promise((resolve) => {
    child.once("error", (error) => {
      console.error(`Could not start the server process: ${error.message}`);
      resolve(1);
    });
    child.once("exit", (code, signal) => {
      process.off("SIGTERM", forward);
      process.off("SIGINT", forward);
      resolve(code ?? 128 + (signal === "SIGKILL" ? 9 : signal === "SIGINT" ? 2 : 15));
    });
  });
}
