import type { ModelInfo } from "./load-model.js";

/** What a model does: answer questions about a context (start/end logits), or label a text or a pair of texts (logits). */
export type ModelTask = "question-answering" | "text-classification";

/** A model's task and, for classification, its label names in logit order. */
export interface TaskInfo {
  readonly task: ModelTask;
  /** id2label in index order (LABEL_i where model.json names none); empty for question answering. */
  readonly labels: readonly string[];
}

/**
 * The task from model.json (`task`), else from the model's outputs (`logits` without start_logits is a
 * classifier); labels from model.json's `id2label` ({"0": "negative", "1": "positive"}), as
 * transformers' config.json writes it.
 */
export function taskOf(info: ModelInfo, outputNames: readonly string[]): TaskInfo {
  const classifies =
    info["task"] === "text-classification" || (info["task"] === undefined && outputNames.includes("logits") && !outputNames.includes("start_logits"));
  if (!classifies) return { task: "question-answering", labels: [] };
  const id2label = info["id2label"];
  const named = typeof id2label === "object" && id2label !== null && !Array.isArray(id2label) ? (id2label as Record<string, unknown>) : {};
  const count = Math.max(
    0,
    ...Object.keys(named)
      .map((key) => Number(key) + 1)
      .filter(Number.isInteger),
  );
  return { task: "text-classification", labels: Array.from({ length: count }, (_, i) => (typeof named[i] === "string" ? (named[i] as string) : `LABEL_${i}`)) };
}
