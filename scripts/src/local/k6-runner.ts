// Runs the bundled k6 script against the local fleet when a k6 binary is installed, with the environment infra gives it in-cluster.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { FleetConfig } from "@inference-fleet/fleet-config";
import { bundleK6Script, k6EnvFromConfig, parseResult, type LoadTestResult } from "@inference-fleet/load-test";
import { linePrefixer } from "../shared/line-prefixer.js";

/** k6 exits with 99 when a threshold (the SLO) failed; its summary, and so the results, are still written. */
const K6_THRESHOLDS_FAILED = 99;

export async function runK6(
  k6Path: string,
  config: FleetConfig,
  targets: readonly string[],
  models: readonly string[],
  labels: Record<string, string>,
  options: { signal?: AbortSignal; log: (line: string) => void },
): Promise<{ result: LoadTestResult; sloBreached: boolean }> {
  const dir = await mkdtemp(path.join(tmpdir(), "fleet-k6-"));
  try {
    const script = path.join(dir, "fleet.js");
    const resultsPath = path.join(dir, "results.json");
    await writeFile(script, await bundleK6Script());
    const out = linePrefixer("k6", options.log);
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(k6Path, ["run", "--quiet", script], {
        env: { ...process.env, ...k6EnvFromConfig(config, { targets, models, labels, resultsPath, generators: 1 }) },
        stdio: ["ignore", "pipe", "pipe"],
      });
      child.stdout.setEncoding("utf8").on("data", out.write);
      child.stderr.setEncoding("utf8").on("data", out.write);
      // k6 stops gracefully on SIGINT and still writes its summary.
      const onAbort = () => child.kill("SIGINT");
      options.signal?.addEventListener("abort", onAbort, { once: true });
      child.once("error", reject);
      child.once("exit", (exitCode) => {
        options.signal?.removeEventListener("abort", onAbort);
        out.flush();
        resolve(exitCode);
      });
    });
    if (code !== 0 && code !== K6_THRESHOLDS_FAILED && !options.signal?.aborted) {
      throw new Error(
        `k6 exited with code ${code}; its output is above. Unset the k6 binary from PATH or pass --generator local to use the built-in generator.`,
      );
    }
    const result = parseResult(JSON.parse(await readFile(resultsPath, "utf8")), "k6 results");
    return { result, sloBreached: code === K6_THRESHOLDS_FAILED };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
