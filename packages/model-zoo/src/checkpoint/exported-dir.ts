import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CLASSIFICATION_OUTPUT, OUTPUT_NAMES } from "../bert-graph.js";
import { DEFAULT_MAX_SEQUENCE_LENGTH, MODEL_FILE, MODEL_INFO_FILE, TOKENIZER_FILE } from "../model-info.js";
import { inspectOnnx, type OnnxSignature } from "../onnx-inspect.js";
import { parseCheckpointConfig, type ModelTask } from "./hf-config.js";

/** What a model directory without model.json (an optimum / Hugging Face export) is read as; nothing is written into it. */
export interface ExportedModel {
  readonly task: ModelTask;
  readonly maxSequenceLength: number;
  readonly parameters: number;
  readonly signature: OnnxSignature;
  readonly id2label?: Readonly<Record<string, string>>;
}

/**
 * Reads an exported model directory (model.onnx + tokenizer.json, config.json as optimum writes it, no model.json):
 * the task from the ONNX outputs (start_logits/end_logits or logits) or config.json's architectures, the sequence
 * length from a fixed input dimension or config.json's max_position_embeddings (capped at 512). Fails with the
 * exact model.json to write when the task cannot be told.
 */
export function readExportedModelDir(dir: string): ExportedModel {
  for (const file of [MODEL_FILE, TOKENIZER_FILE]) {
    if (!existsSync(join(dir, file)))
      throw new Error(`${dir} has no ${file}: a model directory needs ${MODEL_FILE} and ${TOKENIZER_FILE} (model.json is optional).`);
  }
  const signature = inspectOnnx(join(dir, MODEL_FILE));
  const config = readConfig(dir);
  const outputs = signature.outputs.map((o) => o.name);
  const task: ModelTask | undefined = OUTPUT_NAMES.every((name) => outputs.includes(name))
    ? "question-answering"
    : outputs.includes(CLASSIFICATION_OUTPUT)
      ? "text-classification"
      : config?.task;
  const idsShape = signature.inputs.find((input) => input.name === "input_ids")?.shape ?? [];
  const fixedLength = typeof idsShape[1] === "number" ? idsShape[1] : undefined;
  const maxSequenceLength = fixedLength ?? Math.min(config?.maxPositions ?? DEFAULT_MAX_SEQUENCE_LENGTH, 512);
  if (!task || !signature.inputs.some((input) => input.name === "input_ids")) {
    const example = { name: "my-model", task: "question-answering", maxSequenceLength };
    throw new Error(
      `Cannot tell what ${join(dir, MODEL_FILE)} serves: its inputs are [${signature.inputs.map((i) => i.name).join(", ")}] and its outputs ` +
        `[${outputs.join(", ")}] (expected input_ids, attention_mask, token_type_ids in; start_logits and end_logits, or logits, out)` +
        `${config ? "" : ", and there is no config.json"}. If it is a BERT question-answering or text-classification model, write ` +
        `${join(dir, MODEL_INFO_FILE)} with ${JSON.stringify(example)} (task "text-classification" for logits).`,
    );
  }
  return { task, maxSequenceLength, parameters: signature.parameters, signature, ...(config?.id2label ? { id2label: config.id2label } : {}) };
}

function readConfig(dir: string): { task?: ModelTask; maxPositions?: number; id2label?: Readonly<Record<string, string>> } | undefined {
  const path = join(dir, "config.json");
  if (!existsSync(path)) return undefined;
  const json = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  try {
    const parsed = parseCheckpointConfig(json, path);
    return { task: parsed.task, maxPositions: parsed.architecture.maxPositions, ...(parsed.id2label ? { id2label: parsed.id2label } : {}) };
  } catch {
    // Another architecture (an export need not be BERT): keep what applies to any encoder.
    const positions = json["max_position_embeddings"];
    return typeof positions === "number" ? { maxPositions: positions } : {};
  }
}
