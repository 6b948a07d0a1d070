import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort } from "./free-port.js";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Resolves when the process exits, with its code and everything it wrote to stderr. */
  readonly exited: Promise<{ code: number | null; stderr: string }>;
}

/** Starts the real entry (src/main.ts through tsx) as its own process, configured only by environment variables. */
export async function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", MAIN], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", QUIET: "true", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => child.once("exit", (code) => resolve({ code, stderr })));
  return { child, url: `http://127.0.0.1:${port}`, exited };
}

/** Waits until /v2/health/ready answers 200, or the process exits (an error naming the cause). */
export async function waitUntilReady(server: ServerProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void server.exited.then(() => (exited = true));
  while (Date.now() < deadline && !exited) {
    const ready = await fetch(`${server.url}/v2/health/ready`).then((r) => r.ok, () => false);
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`The server at ${server.url} did not become ready: ${(await Promise.race([server.exited, Promise.resolve({ stderr: "still running" })])).stderr}`);
}

/** The process's resident memory as its own /metrics reports it. */
export async function residentBytes(server: ServerProcess): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^model_server_process_resident_memory_bytes (\d+)/m.exec(text)![1]);
}
