import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { getInstanceType, repositoryModelNames, type FleetConfig } from "@inference-fleet/fleet-config";
import { convertModelDirs, modelPrecision } from "@inference-fleet/model-server";
import {
  assertWritableModelDir,
  generateManyModels,
  generateModel,
  importHubSource,
  isHubSource,
  MODEL_FILE,
  MODEL_INFO_FILE,
  readExportedModelDir,
  reduceRangeFor,
  TOKENIZER_FILE,
  type Int8Cpu,
} from "@inference-fleet/model-zoo";

const isModelDir = (dir: string) => [MODEL_FILE, TOKENIZER_FILE, MODEL_INFO_FILE].every((file) => existsSync(path.join(dir, file)));

/** The precision a model dir's model.json records (model-server's reading: fp32 when it says nothing or cannot be read). */
function precisionOf(dir: string): string {
  try {
    return modelPrecision(JSON.parse(readFileSync(path.join(dir, MODEL_INFO_FILE), "utf8")) as Record<string, unknown>);
  } catch {
    return "fp32";
  }
}

/** A present model dir at another precision than the stack asks for would be measured as the wrong model. */
function assertPrecision(config: FleetConfig, dir: string, shown: string): void {
  const found = precisionOf(dir);
  if (found === config.model.precision) return;
  throw new Error(
    `The model in ${shown} is ${found}, but the stack asks for model.precision ${config.model.precision}: ` +
      `point model.source at another directory (it is generated there at ${config.model.precision}), ` +
      (config.model.precision === "int8"
        ? `or run \`npx fleet model quantize --dir ${shown} --out <dir>\` and use that.`
        : "or delete the directory to generate it again."),
  );
}

function isRemote(source: string): boolean {
  return /^(s3|https):\/\//.test(source);
}

/** The task model.json records (question-answering when it says none: every model before text-classification). */
function taskOf(dir: string): string {
  try {
    const task = (JSON.parse(readFileSync(path.join(dir, MODEL_INFO_FILE), "utf8")) as { task?: unknown }).task;
    return typeof task === "string" ? task : "question-answering";
  } catch {
    return "question-answering";
  }
}

function assertTask(config: FleetConfig, found: string, shown: string): void {
  if (found === config.model.task) return;
  throw new Error(
    `The model in ${shown} is ${found}, but the stack says model.task ${config.model.task}: ` +
      `set model.task to ${found} or point model.source at a ${config.model.task} model.`,
  );
}

/**
 * The model source the local servers load: a remote source as it is (the servers fetch it), an hf:// model imported
 * into the hub cache (once; later runs reuse it), a local directory relative to the repo root as it is (with or
 * without model.json: an optimum export is served as exported), or, when that directory is missing or empty, one
 * built with model-zoo from config.model.generate. Nothing is ever written into a directory that holds a user's files.
 */
export interface EnsureModelOptions {
  /**
   * Whose CPU an int8 model is made for (7- or 8-bit weights): this machine's for fleet local and tune (default), the
   * stack's instance type for fleet matrix, whose model is uploaded to that instance type.
   */
  readonly int8For?: "local" | "stack";
}

/** The stack's instance type as an int8 target, from the catalog's CPU facts; undefined: this machine's CPU. */
export function int8TargetOf(config: FleetConfig, options: EnsureModelOptions): Int8Cpu | undefined {
  if (options.int8For !== "stack") return undefined;
  const facts = getInstanceType(config.instanceType);
  return { arch: facts.arch, int8DotProduct: facts.cpu.int8DotProduct, described: `${facts.name} (${facts.cpu.model})` };
}

/** A present int8 model made for another CPU than the one that will run it: said, with the command that makes the right one. */
function warnOtherInt8Target(config: FleetConfig, dir: string, shown: string, target: Int8Cpu | undefined, log: (line: string) => void): void {
  if (config.model.precision !== "int8" || target === undefined) return;
  const bits = (readJson(path.join(dir, MODEL_INFO_FILE))?.["quantization"] as { weightBits?: number } | undefined)?.weightBits;
  const wanted = reduceRangeFor(target) ? 7 : 8;
  if (bits === undefined || bits === wanted) return;
  log(
    `model: warning: ${shown} has ${bits}-bit int8 weights, but ${target.described} wants ${wanted}-bit ones; ` +
      `delete the directory to generate it for the stack, or quantize its fp32 original with \`fleet model quantize\`${wanted === 7 ? " --reduce-range" : ""}.`,
  );
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export async function ensureModel(config: FleetConfig, repoRoot: string, log: (line: string) => void, options: EnsureModelOptions = {}): Promise<string> {
  const { source, generate, maxSeqLength } = config.model;
  const int8Target = int8TargetOf(config, options);
  if (isHubSource(source)) return importHubModel(config, log);
  if (isRemote(source)) return source;
  const dir = path.resolve(repoRoot, source);
  if (config.model.repository) return ensureRepository(config, dir, repoRoot, log, int8Target);
  const shown = path.relative(repoRoot, dir) || dir;
  if (isModelDir(dir)) {
    assertPrecision(config, dir, shown);
    assertTask(config, taskOf(dir), shown);
    log(`model: ${shown} (present, ${config.model.precision})`);
    warnOtherInt8Target(config, dir, shown, int8Target, log);
    return dir;
  }
  if (existsSync(path.join(dir, MODEL_FILE))) {
    // A Hugging Face / optimum export: read, never written to (no model.json is added, nothing is generated over it).
    const exported = readExportedModelDir(dir);
    assertTask(config, exported.task, shown);
    log(
      `model: ${shown} (present, an export without ${MODEL_INFO_FILE}: ${exported.task}, ${exported.parameters.toLocaleString("en-US")} parameters, ` +
        `inputs ${exported.signature.inputs.map((i) => i.name).join(", ")}; served as it is)`,
    );
    return dir;
  }
  assertWritableModelDir(dir, "a generated model");
  const head = config.model.task === "text-classification" ? "BERT classifier" : "BERT-QA";
  log(`model: generating ${generate.size} ${head} (seed ${generate.seed}, ${config.model.precision}, random weights) into ${shown} ...`);
  const started = Date.now();
  await generateModel({
    size: generate.size,
    seed: generate.seed,
    outDir: dir,
    maxSequenceLength: maxSeqLength,
    precision: config.model.precision,
    task: config.model.task,
    int8Target,
  });
  log(`model: generated in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return dir;
}

/** hf://ORG/NAME[@REVISION]: imported into the hub cache on first use (HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, HF_HOME apply), then read from there. */
async function importHubModel(config: FleetConfig, log: (line: string) => void): Promise<string> {
  const { source } = config.model;
  // A stack run takes a branch at the commit it was imported at: the second run asks the hub nothing.
  const imported = await importHubSource(source, (line) => log(`model: ${line}`), process.env, { reuseResolvedRevision: true });
  assertPrecision(config, imported.dir, source);
  assertTask(config, imported.info.task, source);
  log(
    `model: ${source} (commit ${imported.commit}, ${imported.info.task}, ${imported.info.parameters.toLocaleString("en-US")} parameters) from ${imported.dir}`,
  );
  return imported.dir;
}

/** Repository mode: model.repository.count distinct models (seeds generate.seed, +1, ...) under dir, generated when any is missing. */
async function ensureRepository(config: FleetConfig, dir: string, repoRoot: string, log: (line: string) => void, int8Target?: Int8Cpu): Promise<string> {
  const { generate, maxSeqLength, repository } = config.model;
  const count = repository!.count;
  const shown = path.relative(repoRoot, dir) || dir;
  if (repositoryModelNames(count).every((name) => isModelDir(path.join(dir, name)))) {
    log(`model repository: ${shown} (${count} models present)`);
  } else {
    log(
      `model repository: generating ${count} distinct ${generate.size} BERT-QA models (seeds ${generate.seed}..${generate.seed + count - 1}) into ${shown} ...`,
    );
    const started = Date.now();
    await generateManyModels({
      count,
      size: generate.size,
      seedBase: generate.seed,
      outDir: dir,
      maxSequenceLength: maxSeqLength,
      precision: config.model.precision,
      int8Target,
    });
    log(`model repository: generated in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  await convertAhead(dir, shown, log);
  return dir;
}

/** model.ort beside each model.onnx (as `fleet model convert`), so the servers' loads take milliseconds. */
async function convertAhead(dir: string, shown: string, log: (line: string) => void): Promise<void> {
  const started = Date.now();
  try {
    const { converted } = await convertModelDirs(dir);
    if (converted.length > 0) log(`model repository: wrote model.ort for ${converted.length} models in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    // Not fatal: the servers then convert each model on its first load.
    log(`model repository: could not write model.ort into ${shown} (${(error as Error).message}); the servers will convert each model on first load`);
  }
}
