import { existsSync, readFileSync, statSync } from "node:fs";
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { buildBertGraph, OPSET_VERSION, type BertHead } from "../bert-graph.js";
import { elementCount } from "../graph-builder.js";
import { GENERATOR_NAME, GENERATOR_VERSION, MODEL_FILE, MODEL_INFO_FILE, TOKENIZER_FILE, tensorsOf, type ImportedModelInfo } from "../model-info.js";
import { writeOnnxModel } from "../onnx-writer.js";
import { SeededRandom } from "../prng.js";
import { CheckpointWeights, SAFETENSORS_FILE, SAFETENSORS_INDEX_FILE } from "./checkpoint-weights.js";
import { readExportedModelDir } from "./exported-dir.js";
import { parseCheckpointConfig, type CheckpointConfig } from "./hf-config.js";

export const CONFIG_FILE = "config.json";
/** Where optimum publishes an ONNX export inside a hub repo. */
export const HUB_ONNX_FILE = "onnx/model.onnx";

export interface BuildFromCheckpointOptions {
  /** A transformers checkpoint: config.json, tokenizer.json, model.safetensors (or shards), or onnx/model.onnx. */
  readonly checkpointDir: string;
  readonly outDir: string;
  /** Recorded in model.json: hf://ORG/NAME, the revision asked for and the commit it is. */
  readonly source: string;
  readonly revision: string;
  readonly commit: string;
  readonly name: string;
}

export interface BuiltModel {
  readonly info: ImportedModelInfo;
  /** Size of model.onnx in bytes. */
  readonly bytes: number;
}

/** How to get safetensors from a pickle checkpoint (quoted in refusals). */
function convertToSafetensorsHint(repo: string): string {
  return (
    `convert it once with Python and import the result: python -c "from transformers import AutoModel; ` +
    `AutoModel.from_pretrained('${repo}').save_pretrained('out', safe_serialization=True)"`
  );
}

/** What a checkpoint folder lacks before it can be imported, as a sentence that says what to do; undefined when nothing. */
export function checkpointProblem(files: readonly string[], repo: string): string | undefined {
  if (!files.includes(CONFIG_FILE)) return `${repo} has no ${CONFIG_FILE}: it is not a transformers checkpoint.`;
  if (!files.includes(TOKENIZER_FILE)) {
    const vocab = files.includes("vocab.txt") ? "; it has vocab.txt" : "";
    return (
      `${repo} has no ${TOKENIZER_FILE} (the servers read the Hugging Face tokenizers format only${vocab}): write one with ` +
      `python -c "from transformers import AutoTokenizer; AutoTokenizer.from_pretrained('${repo}').save_pretrained('out')" and import that folder.`
    );
  }
  if (files.includes(HUB_ONNX_FILE) || files.includes(SAFETENSORS_FILE) || files.includes(SAFETENSORS_INDEX_FILE)) return undefined;
  if (files.includes("pytorch_model.bin") || files.some((f) => /^pytorch_model-\d+-of-\d+\.bin$/.test(f))) {
    return (
      `${repo} has only pytorch_model.bin weights (a pickle, which is never loaded here: it can run code), no model.safetensors: ` +
      `${convertToSafetensorsHint(repo)}.`
    );
  }
  return `${repo} has no model.safetensors, model.safetensors.index.json or ${HUB_ONNX_FILE}: nothing to build model.onnx from.`;
}

/**
 * Builds a model directory (model.onnx, tokenizer.json, model.json, config.json) from a downloaded checkpoint:
 * model.onnx from the safetensors weights with the model-zoo's BERT graph, or the repo's own onnx/model.onnx
 * when it has one. The weights are read one tensor at a time while model.onnx is written.
 */
export async function buildModelFromCheckpoint(options: BuildFromCheckpointOptions): Promise<BuiltModel> {
  const { checkpointDir, outDir } = options;
  const configPath = join(checkpointDir, CONFIG_FILE);
  const config = parseCheckpointConfig(JSON.parse(readFileSync(configPath, "utf8")), `${options.source}: ${CONFIG_FILE}`);
  await mkdir(outDir, { recursive: true });
  const hasOnnx = existsSync(join(checkpointDir, HUB_ONNX_FILE));
  const built = hasOnnx ? await copyHubOnnx(options, config) : await writeFromSafetensors(options, config);
  await copyFile(join(checkpointDir, TOKENIZER_FILE), join(outDir, TOKENIZER_FILE));
  await copyFile(configPath, join(outDir, CONFIG_FILE));
  await writeFile(join(outDir, MODEL_INFO_FILE), `${JSON.stringify(built.info, null, 2)}\n`);
  return built;
}

function headOf(config: CheckpointConfig): BertHead {
  return config.task === "text-classification" ? { task: config.task, numLabels: Object.keys(config.id2label!).length } : { task: config.task };
}

/** model.json of an imported model; the sequence length is the model's (max_position_embeddings). */
function importedInfo(
  options: BuildFromCheckpointOptions,
  config: CheckpointConfig,
  parameters: number,
  builtFrom: ImportedModelInfo["builtFrom"],
): ImportedModelInfo {
  return {
    name: options.name,
    task: config.task,
    maxSequenceLength: config.architecture.maxPositions,
    source: options.source,
    revision: options.revision,
    commit: options.commit,
    architectureName: config.architectureName,
    builtFrom,
    parameters,
    architecture: config.architecture,
    precision: "fp32",
    ...tensorsOf(headOf(config)),
    ...(config.id2label ? { id2label: config.id2label } : {}),
    ...(config.problemType ? { problemType: config.problemType } : {}),
    files: { model: MODEL_FILE, tokenizer: TOKENIZER_FILE },
    createdBy: GENERATOR_NAME,
    version: GENERATOR_VERSION,
    notice: `Imported from ${options.source} at commit ${options.commit}; the weights and their licence are the model's own.`,
  };
}

async function writeFromSafetensors(options: BuildFromCheckpointOptions, config: CheckpointConfig): Promise<BuiltModel> {
  const weights = new CheckpointWeights(options.checkpointDir);
  const { graph, initializers } = buildBertGraph(config.architecture, headOf(config));
  const bound = initializers.map((spec) => (spec.trainable ? weights.bind(spec) : spec));
  const parameters = initializers.filter((spec) => spec.trainable).reduce((total, spec) => total + elementCount(spec.dims), 0);
  const header = {
    opsetVersion: OPSET_VERSION,
    producerName: GENERATOR_NAME,
    producerVersion: GENERATOR_VERSION,
    docString: `${config.architectureName} imported from ${options.source} at commit ${options.commit}.`,
    metadata: { source: options.source, commit: options.commit },
  };
  // Every weight comes from the checkpoint; the generator is only the writer's signature.
  const { bytes } = await writeOnnxModel(join(options.outDir, MODEL_FILE), header, graph, bound, new SeededRandom(0));
  return { bytes, info: importedInfo(options, config, parameters, "safetensors") };
}

async function copyHubOnnx(options: BuildFromCheckpointOptions, config: CheckpointConfig): Promise<BuiltModel> {
  const target = join(options.outDir, MODEL_FILE);
  await copyFile(join(options.checkpointDir, HUB_ONNX_FILE), target);
  await copyFile(join(options.checkpointDir, TOKENIZER_FILE), join(options.outDir, TOKENIZER_FILE)); // readExportedModelDir needs both.
  const exported = readExportedModelDir(options.outDir);
  if (exported.task !== config.task) {
    throw new Error(
      `${options.source}: ${HUB_ONNX_FILE} has the outputs of ${exported.task}, but config.json says ${config.architectureName} (${config.task}).`,
    );
  }
  return { bytes: statSync(target).size, info: importedInfo(options, config, exported.parameters, HUB_ONNX_FILE) };
}
