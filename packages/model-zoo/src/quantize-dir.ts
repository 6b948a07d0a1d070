import { copyFile, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { QuantizationInfo } from "./model-info.js";
import { MODEL_FILE, MODEL_INFO_FILE } from "./model-info.js";
import { OWNED_MARKER_FILE } from "./owned-dir.js";
import { quantizeModelBytes, type QuantizeOptions, type QuantizeReport } from "./quantize.js";

export interface QuantizeDirOptions extends QuantizeOptions {
  /** A model directory: model.onnx, plus tokenizer.json and model.json when it has them. */
  readonly dir: string;
  /** Where to write the int8 model directory (created if missing); must not be `dir`. */
  readonly outDir: string;
  /** Name for model.json; default: the original's name with "-int8" added (none if it had no name). */
  readonly name?: string;
}

export interface QuantizedModelDir {
  readonly dir: string;
  readonly name?: string;
  /** Full paths of the files written. */
  readonly files: readonly string[];
  /** Size of the int8 model.onnx, and of the fp32 one it was made from, in bytes. */
  readonly bytes: number;
  readonly fromBytes: number;
  readonly report: QuantizeReport;
}

/**
 * Files of a model directory that are not copied: model.onnx and model.json (rewritten), ORT-format caches of
 * the fp32 model, other ONNX models or external weight files (an fp32 copy would defeat the purpose), and the
 * generator's ownership marker (the int8 folder is not one `fleet model generate` made).
 * Tokenizer and config files (tokenizer.json, vocab.txt, config.json, ...) are copied.
 */
function isNotCopied(file: string): boolean {
  return file === MODEL_FILE || file === MODEL_INFO_FILE || file === OWNED_MARKER_FILE || /\.(onnx|ort|data)$/.test(file);
}

function describe(report: QuantizeReport, fromBytes: number): QuantizationInfo {
  return {
    method: "dynamic",
    weights: `int8, symmetric, one scale per output channel${report.gathers > 0 ? " (embedding tables: one scale per row)" : ""}`,
    activations: "uint8, one scale and zero point per tensor, computed at run time",
    format: report.format,
    weightBits: report.reduceRange ? 7 : 8,
    weightBitsReason: report.reduceRangeReason,
    quantizedNodes: { matMul: report.matMuls, gemm: report.gemms, gather: report.gathers },
    floatNodesKept: report.skipped.length,
    fromBytes,
  };
}

/** model.json of an int8 model: its fp32 original's (when it had one) renamed, with the precision and how it was quantized. */
export function quantizedModelInfo(info: object | undefined, name: string | undefined, report: QuantizeReport, fromBytes: number): Record<string, unknown> {
  return { ...(info ?? {}), ...(name === undefined ? {} : { name }), precision: "int8", quantization: describe(report, fromBytes) };
}

async function readJsonObject(path: string): Promise<Record<string, unknown> | undefined> {
  const text = await readFile(path, "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path} is not valid JSON (${(error as Error).message}); fix or delete it, then quantize again.`, { cause: error });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error(`${path} must hold a JSON object.`);
  return parsed as Record<string, unknown>;
}

/**
 * Writes an int8 copy of a model directory: model.onnx quantized (see quantizeModel), the tokenizer and
 * config files copied (not other .onnx/.ort/.data files), and model.json with
 * `precision: "int8"` and how it was quantized. Nothing is written when quantization fails (no
 * quantizable MatMul, already int8, unreadable model).
 */
export async function quantizeModelDir(options: QuantizeDirOptions): Promise<QuantizedModelDir> {
  const { dir, outDir } = options;
  if (resolve(dir) === resolve(outDir))
    throw new Error(`The output directory must differ from the model directory ${dir}: quantize writes a new model directory (e.g. --out ${dir}-int8).`);
  const modelPath = join(dir, MODEL_FILE);
  const source = await readFile(modelPath).catch((error: NodeJS.ErrnoException) => {
    throw new Error(
      error.code === "ENOENT"
        ? `${modelPath} is missing: point --dir at a model directory (npx fleet model generate makes one).`
        : `Cannot read ${modelPath}: ${error.message}.`,
    );
  });
  const info = await readJsonObject(join(dir, MODEL_INFO_FILE));
  if (info?.["precision"] === "int8") throw new Error(`${join(dir, MODEL_INFO_FILE)} says this model is already int8; quantize its fp32 original instead.`);
  let quantized: { bytes: Uint8Array; report: QuantizeReport };
  try {
    quantized = quantizeModelBytes(source, options);
  } catch (error) {
    throw new Error(`${modelPath}: ${(error as Error).message}`, { cause: error });
  }

  await mkdir(outDir, { recursive: true });
  const files: string[] = [join(outDir, MODEL_FILE)];
  await writeFile(files[0]!, quantized.bytes);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isFile() || isNotCopied(entry.name)) continue;
    const target = join(outDir, entry.name);
    await copyFile(join(dir, entry.name), target);
    files.push(target);
  }
  const oldName = typeof info?.["name"] === "string" ? info["name"] : undefined;
  const name = options.name ?? (oldName === undefined ? undefined : oldName.endsWith("-int8") ? oldName : `${oldName}-int8`);
  const newInfo = quantizedModelInfo(info, name, quantized.report, source.length);
  const infoPath = join(outDir, MODEL_INFO_FILE);
  await writeFile(infoPath, `${JSON.stringify(newInfo, null, 2)}\n`);
  files.push(infoPath);
  return { dir: outDir, name, files, bytes: (await stat(files[0]!)).size, fromBytes: source.length, report: quantized.report };
}
