import type { LoadedModel } from "../model/model-registry.js";
import { bestAnswerSpan } from "./answer-span.js";
import type { BatchTrace } from "./batch-queue.js";
import { spanLogits } from "./session-runner.js";

/**
 * Answers one question about one context with a model: tokenize (context truncated to fit), run
 * through the model's batch queue, answer with the context's text under the best valid span. With postprocess off, it returns
 * the raw argmax positions and logits instead, as the AWS sample does. `signal` (the request's) drops it
 * from the queue if the client leaves before it runs.
 */
export async function answerQuestion(
  model: LoadedModel,
  question: string,
  context: string,
  postprocess: boolean,
  signal?: AbortSignal,
  trace?: BatchTrace,
): Promise<string> {
  const pair = model.tokenizer.encodePair(question, context, model.maxSeqLength);
  const logits = spanLogits(await model.queue.submit({ ids: pair.ids, contextStart: pair.contextStart }, signal, trace));
  if (!postprocess) return summarizeLogits(logits.start, logits.end);
  const span = bestAnswerSpan(logits.start, logits.end, pair.contextStart, pair.contextEnd);
  // The exact substring of the context the span's tokens came from (accents, case and spacing as sent).
  return span === undefined ? "" : context.slice(pair.offsets[2 * span.start], pair.offsets[2 * span.end + 1]);
}

function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

function summarizeLogits(start: Float32Array, end: Float32Array): string {
  const s = argmax(start),
    e = argmax(end);
  return `start_logits argmax ${s} (${start[s]!.toFixed(4)}), end_logits argmax ${e} (${end[e]!.toFixed(4)}), ${start.length} tokens`;
}
