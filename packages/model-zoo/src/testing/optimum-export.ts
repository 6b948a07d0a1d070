import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { onnx } from "../graph-builder.js";
import { buildTokenizerJson } from "../tokenizer-json.js";
import { buildHuggingFaceStyleBert } from "./hf-bert-export.js";

/**
 * Writes what `optimum-cli export onnx --task question-answering` leaves in a folder: model.onnx (an opset-17 export
 * over the bert-base-uncased vocabulary), tokenizer.json and config.json, and no model.json. For tests that a user's
 * export is served as it is and never written to.
 */
export function writeOptimumStyleExport(
  dir: string,
  options: { hidden?: number; heads?: number; seed?: number; outputNames?: readonly [string, string] } = {},
): void {
  mkdirSync(dir, { recursive: true });
  const model = buildHuggingFaceStyleBert({ vocab: 30522, hidden: options.hidden ?? 32, heads: options.heads ?? 2, seed: options.seed ?? 11 });
  if (options.outputNames) renameOutputs(model, options.outputNames);
  writeFileSync(join(dir, "model.onnx"), onnx.ModelProto.encode(model).finish());
  writeFileSync(join(dir, "tokenizer.json"), buildTokenizerJson());
  const config = { architectures: ["BertForQuestionAnswering"], model_type: "bert", max_position_embeddings: 512, transformers_version: "4.46.3" };
  writeFileSync(join(dir, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
}

/** Gives the two logits outputs other names (as an export of an unknown head would have). */
function renameOutputs(model: ReturnType<typeof buildHuggingFaceStyleBert>, names: readonly [string, string]): void {
  const renamed = new Map(model.graph!.output!.map((output, i) => [output.name!, names[i]!]));
  for (const output of model.graph!.output!) output.name = renamed.get(output.name!)!;
  for (const node of model.graph!.node!) node.output = node.output!.map((name) => renamed.get(name) ?? name);
}
