import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startServerProcess, type ServerProcess } from "@inference-fleet/model-server";

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

/**
 * Starts `python -m neuron_server` on a free loopback port, configured by environment variables only
 * (CPU execution), and waits for readiness through model-server's one spawn-and-wait helper; `logFile` takes its output.
 */
export function startPythonServer(env: Record<string, string>, timeoutMs = 60_000, logFile?: string): Promise<ServerProcess> {
  return startServerProcess(
    { PYTHONDONTWRITEBYTECODE: "1", EXECUTION_PROVIDERS: "cpu", ...env },
    {
      name: "the Python Neuron server",
      readyTimeoutMs: timeoutMs,
      ...(logFile === undefined ? {} : { logFile }),
      launch: (settings) => ({ command: PYTHON, args: ["-m", "neuron_server"], env: { ...process.env, ...settings }, cwd: PACKAGE_DIR }),
    },
  );
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
