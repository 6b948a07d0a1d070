/** Receives Pulumi's console output as it arrives (chunks, not necessarily whole lines). */
export type OutputSink = (chunk: string) => void;

/** Stack outputs with secrets already unwrapped to their plain values. */
export type StackOutputs = Readonly<Record<string, unknown>>;

/** Resource changes a preview would make, by operation ("create", "update", "delete", "same", ...). */
export type ChangeSummary = Readonly<Record<string, number>>;

/** One Pulumi stack, as the matrix uses it. Production: a Stack from the Automation API's LocalWorkspace. */
export interface MatrixStack {
  readonly name: string;
  preview(onOutput: OutputSink, signal?: AbortSignal): Promise<ChangeSummary>;
  up(onOutput: OutputSink, signal?: AbortSignal): Promise<StackOutputs>;
  destroy(onOutput: OutputSink): Promise<void>;
  outputs(): Promise<StackOutputs>;
}

/** Where stacks come from; injected so the matrix is tested without the Pulumi CLI. */
export interface MatrixWorkspace {
  /** `env`: FLEET_* overrides for this use of the stack only (e.g. FLEET_CLUSTER_IDLE to scale it to zero). */
  selectStack(stackName: string, env?: Readonly<Record<string, string>>): Promise<MatrixStack>;
}
