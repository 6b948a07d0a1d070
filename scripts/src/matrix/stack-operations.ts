// The Automation API operations the matrix runs, as plain functions over an injected workspace.
import { linePrefixer } from "../shared/line-prefixer.js";
import type { ChangeSummary, MatrixStack, MatrixWorkspace, OutputSink, StackOutputs } from "./workspace.js";
import { envNameFor } from "@inference-fleet/fleet-config";

/** Where prefixed output lines go (stdout in the CLI, an array in tests). */
export type LineLog = (line: string) => void;

async function withPrefixedOutput<T>(stackName: string, log: LineLog, operation: (onOutput: OutputSink) => Promise<T>): Promise<T> {
  const output = linePrefixer(stackName, log);
  try {
    return await operation(output.write);
  } finally {
    output.flush();
  }
}

export async function preview(workspace: MatrixWorkspace, stackName: string, log: LineLog, signal?: AbortSignal): Promise<ChangeSummary> {
  const stack = await workspace.selectStack(stackName);
  return withPrefixedOutput(stackName, log, (onOutput) => stack.preview(onOutput, signal));
}

/** `pulumi up` for one stack, with FLEET_* overrides of this up only (e.g. a capacity search's refine rates); returns its outputs. */
export async function deploy(
  workspace: MatrixWorkspace,
  stackName: string,
  log: LineLog,
  signal?: AbortSignal,
  env: Readonly<Record<string, string>> = {},
): Promise<StackOutputs> {
  const stack = await workspace.selectStack(stackName, env);
  return withPrefixedOutput(stackName, log, (onOutput) => stack.up(onOutput, signal));
}

/** The override that scales a stack's servers to zero; the Cluster Autoscaler then removes its fleet nodes. */
const IDLE_ENV = { [envNameFor("cluster.idle")]: "true" };

/**
 * `pulumi up` with cluster.idle: the cluster, system nodes and add-ons stay; servers go to zero, and so do fleet nodes.
 * `env`: the overrides of the last up, so its load-test Job stays as it is instead of running again.
 */
export async function scaleToIdle(workspace: MatrixWorkspace, stackName: string, log: LineLog, env: Readonly<Record<string, string>> = {}): Promise<void> {
  const stack = await workspace.selectStack(stackName, { ...env, ...IDLE_ENV });
  await withPrefixedOutput(stackName, log, (onOutput) => stack.up(onOutput));
}

export async function destroy(workspace: MatrixWorkspace, stackName: string, log: LineLog): Promise<void> {
  const stack: MatrixStack = await workspace.selectStack(stackName);
  await withPrefixedOutput(stackName, log, (onOutput) => stack.destroy(onOutput));
}
