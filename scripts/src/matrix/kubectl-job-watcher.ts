// Production JobWatcher: the kubectl binary (the Kubernetes client library is not a dependency here),
// pointed at the stack's kubeconfig output through a private temporary file.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { JobJson, PodJson } from "./job-outcome.js";
import { pollingJobWatcher, type JobWatcher, type PollingOptions } from "./job-watcher.js";
import type { LoadTestLocation } from "./stack-outputs.js";

const run = promisify(execFile);

async function kubectlJson<T>(kubeconfigFile: string, args: string[]): Promise<T> {
  try {
    const { stdout } = await run("kubectl", ["--kubeconfig", kubeconfigFile, ...args, "-o", "json"], { maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(stdout) as T;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`kubectl ${args.join(" ")} failed: ${stderr || (error as Error).message}`, { cause: error });
  }
}

export function kubectlJobWatcher(polling: PollingOptions = {}): JobWatcher {
  const watcher = pollingJobWatcher(async (location: LoadTestLocation) => {
    const dir = mkdtempSync(path.join(tmpdir(), "fleet-kubeconfig-"));
    const file = path.join(dir, "config");
    try {
      writeFileSync(file, location.kubeconfig, { mode: 0o600 });
      const namespace = ["--namespace", location.namespace];
      const job = await kubectlJson<JobJson>(file, ["get", "job", location.jobName, ...namespace]);
      const pods = await kubectlJson<{ items: PodJson[] }>(file, ["get", "pods", ...namespace, "--selector", `job-name=${location.jobName}`]);
      return { job, pods: pods.items };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, polling);
  return watcher;
}
