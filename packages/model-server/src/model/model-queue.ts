import { BatchQueue, type BatchQueueOptions } from "../inference/batch-queue.js";
import type { ModelSession } from "../inference/model-session.js";
import type { InferenceRow, RowLogits } from "../inference/session-runner.js";

/** The batch queue in front of one session; `onBatch` gets `label` so metrics can tell sessions apart. */
export function createModelQueue(
  session: ModelSession,
  options: { queue: Omit<BatchQueueOptions, "onBatch">; label: string; onBatch?: ((label: string, size: number, seconds: number) => void) | undefined },
): BatchQueue<InferenceRow, RowLogits> {
  const { onBatch, label } = options;
  return new BatchQueue<InferenceRow, RowLogits>((rows) => session.run(rows), {
    ...options.queue,
    ...(onBatch ? { onBatch: (size: number, seconds: number) => onBatch(label, size, seconds) } : {}),
  });
}
