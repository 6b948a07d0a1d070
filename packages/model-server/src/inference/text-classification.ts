import type { LoadedModel } from "../model/model-registry.js";
import type { BatchTrace } from "./batch-queue.js";
import type { RowLogits } from "./session-runner.js";

/** A text's (or pair's) label: the most likely class, its softmax probability, and the raw logits. */
export interface Classification {
  readonly label: string;
  readonly score: number;
  readonly logits: Float32Array;
}

/** The class logits of a classification model's row; throws for a question-answering model's (a wiring mistake). */
export function classLogits(row: RowLogits): Float32Array {
  if (!("logits" in row)) throw new Error("This model gives start and end logits, not class logits: it is a question-answering model.");
  return row.logits;
}

/** The label with the highest logit and its softmax probability; labels past model.json's id2label are LABEL_i. */
export function labelOf(logits: Float32Array, labels: readonly string[]): { label: string; score: number } {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  let sum = 0;
  for (const value of logits) sum += Math.exp(value - logits[best]!);
  return { label: labels[best] ?? `LABEL_${best}`, score: 1 / sum };
}

/**
 * Labels one text, or a pair ([CLS] first [SEP] second [SEP], longest-first truncation), with a text-classification model;
 * `signal` (the request's) drops it from the queue if the client leaves before it runs.
 */
export async function classifyText(
  model: LoadedModel,
  first: string,
  second: string | undefined,
  signal?: AbortSignal,
  trace?: BatchTrace,
): Promise<Classification> {
  const encoded = model.tokenizer.encodeForClassification(first, second, model.maxSeqLength);
  const logits = classLogits(await model.queue.submit({ ids: encoded.ids, contextStart: encoded.secondStart }, signal, trace));
  return { ...labelOf(logits, model.labels), logits };
}
