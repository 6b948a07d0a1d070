import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

/** The package folder: `python -m neuron_server` and pytest run from here. */
export const PACKAGE_DIR = fileURLToPath(new URL("../", import.meta.url));

/** Debian's python3 (the pyenv one first on PATH here does not see Debian's packages); NEURON_SERVER_PYTHON overrides it. */
export const PYTHON = process.env["NEURON_SERVER_PYTHON"] ?? "/usr/bin/python3";

/** The modules the server and its tests import; `apt-get install` line in the README. */
const REQUIRED_MODULES = ["torch", "onnx", "numpy", "fastapi", "uvicorn", "httpx", "pytest", "prometheus_client", "multipart"];

/** Undefined when PYTHON can run the server and its tests, else why not (printed as the skip reason). */
export function pythonMissing(): string | undefined {
  const probe = spawnSync(PYTHON, ["-c", `import ${REQUIRED_MODULES.join(", ")}`], { encoding: "utf8", timeout: 60_000 });
  if (probe.error) return `${PYTHON} could not run (${probe.error.message})`;
  if (probe.status !== 0) return `${PYTHON} lacks a module the Neuron server needs: ${probe.stderr.trim().split("\n").at(-1) ?? "import failed"}`;
  return undefined;
}

/** A loopback port free right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on("error", reject);
  });
}

export interface PythonServer {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<{ code: number | null; stderr: string }>;
}

/** Starts `python -m neuron_server` on loopback, configured by environment variables only, and waits for readiness. */
export async function startPythonServer(env: Record<string, string>, timeoutMs = 60_000): Promise<PythonServer> {
  const port = await freePort();
  const child = spawn(PYTHON, ["-m", "neuron_server"], {
    cwd: PACKAGE_DIR,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", PORT: String(port), HOST: "127.0.0.1", QUIET: "true", EXECUTION_PROVIDERS: "cpu", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => child.once("exit", (code) => resolve({ code, stderr })));
  const server = { child, url: `http://127.0.0.1:${port}`, exited };
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !gone) {
    if (
      await fetch(`${server.url}/v2/health/ready`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return server;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill("SIGKILL");
  throw new Error(`The Python server did not become ready: ${stderr}`);
}

/** Runs PYTHON with a script that reads JSON on stdin and prints JSON, from the package folder. */
export function runPythonJson<T>(script: string, input: unknown): T {
  const result = spawnSync(PYTHON, ["-c", script], {
    cwd: PACKAGE_DIR,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
    input: JSON.stringify(input),
    encoding: "utf8",
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`${PYTHON} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}
