import type { InferenceSession } from "onnxruntime-node";
import { BatchQueue, type BatchQueueOptions } from "../inference/batch-queue.js";
import { SessionRunner, type InferenceRow, type Padding, type RowLogits } from "../inference/session-runner.js";

/** The batch queue in front of one session; `onBatch` gets `label` so metrics can tell sessions apart. */
export function createModelQueue(
  session: InferenceSession,
  options: { padding: Padding; maxSeqLength: number; queue: Omit<BatchQueueOptions, "onBatch">; label: string; onBatch?: ((label: string, size: number, seconds: number) => void) | undefined },
): BatchQueue<InferenceRow, RowLogits> {
  const runner = new SessionRunner(session, options.padding, options.maxSeqLength);
  const { onBatch, label } = options;
  return new BatchQueue<InferenceRow, RowLogits>((rows) => runner.run(rows), {
    ...options.queue,
    ...(onBatch ? { onBatch: (size: number, seconds: number) => onBatch(label, size, seconds) } : {}),
  });
}
