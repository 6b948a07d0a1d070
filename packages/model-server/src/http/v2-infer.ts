import type { BatchTrace } from "../inference/batch-queue.js";
import { answerQuestion } from "../inference/question-answering.js";
import { spanLogits, type InferenceRow } from "../inference/session-runner.js";
import { classifyText, classLogits, labelOf } from "../inference/text-classification.js";
import type { LoadedModel } from "../model/model-registry.js";
import { DEFAULT_CONTEXT, DEFAULT_QUESTION } from "../sample-defaults.js";
import { InputError } from "./input-error.js";

/** Most sequences one infer request may carry; more belong in several requests. */
const MAX_INFER_BATCH = 64;

/** A Map, not an object: an input named __proto__, constructor or toString must not find Object.prototype's members. */
const TEXT_INPUTS: ReadonlyMap<string, "question" | "context"> = new Map([
  ["seq_0", "question"],
  ["question", "question"],
  ["seq_1", "context"],
  ["context", "context"],
]);
const TOKEN_INPUTS = ["input_ids", "attention_mask", "token_type_ids"] as const;
type TokenInput = (typeof TOKEN_INPUTS)[number];

interface TensorJson {
  readonly name: string;
  readonly shape: readonly number[];
  readonly datatype: string;
  readonly data: readonly unknown[];
}

export interface InferOutput {
  readonly name: string;
  readonly datatype: "BYTES" | "FP32";
  readonly shape: readonly number[];
  readonly data: readonly (string | number)[];
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** Flattens row-major nested arrays (the protocol allows both flat and nested data). */
function flatten(data: readonly unknown[], depth = 0): unknown[] {
  if (depth > 4) throw new InputError("Tensor data is nested too deeply; send it flat, in row-major order.");
  return data.some(Array.isArray) ? data.flatMap((item) => (Array.isArray(item) ? flatten(item, depth + 1) : [item])) : [...data];
}

function parseTensor(raw: unknown, index: number): TensorJson {
  if (!isObject(raw)) throw new InputError(`inputs[${index}] must be an object with name, shape, datatype and data.`);
  const { name, shape, datatype, data } = raw;
  if (typeof name !== "string") throw new InputError(`inputs[${index}].name must be a string.`);
  if (!Array.isArray(shape) || shape.length === 0 || shape.length > 2 || !shape.every((d) => Number.isInteger(d) && d >= 1 && d <= 100_000)) {
    throw new InputError(`Input ${name}: shape must be an array of one or two positive integers, such as [1] or [1, 128].`);
  }
  if (typeof datatype !== "string") throw new InputError(`Input ${name}: datatype must be a string such as "BYTES" or "INT64".`);
  if (!Array.isArray(data)) throw new InputError(`Input ${name}: data must be an array.`);
  const flat = flatten(data);
  const expected = (shape as number[]).reduce((a, b) => a * b, 1);
  if (flat.length !== expected) throw new InputError(`Input ${name}: shape ${JSON.stringify(shape)} needs ${expected} values, but data has ${flat.length}.`);
  return { name, shape: shape as number[], datatype, data: flat };
}

/** Parses an Open Inference Protocol v2 request body's inputs; throws InputError saying what was expected. */
export function parseInferInputs(body: unknown): TensorJson[] {
  if (!isObject(body) || !Array.isArray(body["inputs"]) || body["inputs"].length === 0) {
    throw new InputError('The body must be a JSON object with a non-empty "inputs" array of tensors (name, shape, datatype, data).');
  }
  const tensors = body["inputs"].map(parseTensor);
  const names = new Set<string>();
  for (const tensor of tensors) {
    if (names.has(tensor.name)) throw new InputError(`Input ${tensor.name} is given twice.`);
    names.add(tensor.name);
  }
  return tensors;
}

/** Runs a text request (BYTES seq_0/seq_1, or question/context) and returns one answer per row. */
async function inferText(
  model: LoadedModel,
  tensors: TensorJson[],
  postprocess: boolean,
  signal: AbortSignal | undefined,
  trace?: BatchTrace,
): Promise<InferOutput[]> {
  const columns: Partial<Record<"question" | "context", string[]>> = {};
  for (const tensor of tensors) {
    const role = TEXT_INPUTS.get(tensor.name);
    if (role === undefined) throw new InputError(`Unknown input ${tensor.name}: text requests take BYTES inputs seq_0 (question) and seq_1 (context).`);
    if (tensor.datatype !== "BYTES") throw new InputError(`Input ${tensor.name} must have datatype BYTES, got ${tensor.datatype}.`);
    if (!tensor.data.every((value) => typeof value === "string")) throw new InputError(`Input ${tensor.name}: every value of a BYTES tensor must be a string.`);
    columns[role] = tensor.data as string[];
  }
  const rows = Math.max(columns.question?.length ?? 1, columns.context?.length ?? 1);
  for (const [role, values] of Object.entries(columns)) {
    if (values.length !== rows) throw new InputError(`The ${role} input has ${values.length} values but the other has ${rows}; give both the same count.`);
  }
  if (rows > MAX_INFER_BATCH) throw new InputError(`At most ${MAX_INFER_BATCH} sequences per request, got ${rows}; split the request.`);
  if (model.task === "text-classification") {
    // seq_0 alone labels one text; with seq_1, the pair. The question default stands in for a missing seq_0, as on the seed route.
    const results = await Promise.all(
      Array.from({ length: rows }, (_, i) => classifyText(model, columns.question?.[i] ?? DEFAULT_QUESTION, columns.context?.[i], signal, trace)),
    );
    return classificationOutputs(
      results.map((result) => result.logits),
      model.labels,
    );
  }
  const answers = await Promise.all(
    Array.from({ length: rows }, (_, i) =>
      answerQuestion(model, columns.question?.[i] ?? DEFAULT_QUESTION, columns.context?.[i] ?? DEFAULT_CONTEXT, postprocess, signal, trace),
    ),
  );
  return [{ name: "answer", datatype: "BYTES", shape: [rows], data: answers }];
}

function tokenValues(tensor: TensorJson, limit: number, what: string): Int32Array {
  if (tensor.datatype !== "INT64") throw new InputError(`Input ${tensor.name} must have datatype INT64, got ${tensor.datatype}.`);
  const values = new Int32Array(tensor.data.length);
  tensor.data.forEach((value, i) => {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value >= limit) {
      throw new InputError(`Input ${tensor.name}: value ${JSON.stringify(value)} at position ${i} is not ${what}.`);
    }
    values[i] = value;
  });
  return values;
}

/** Runs a token request (INT64 input_ids, optional attention_mask and token_type_ids of shape [batch, seq]) and returns the logits. */
async function inferTokens(model: LoadedModel, tensors: TensorJson[], signal: AbortSignal | undefined, trace?: BatchTrace): Promise<InferOutput[]> {
  const byName: Partial<Record<TokenInput, TensorJson>> = {};
  for (const tensor of tensors) {
    if (!(TOKEN_INPUTS as readonly string[]).includes(tensor.name)) {
      throw new InputError(`Unknown input ${tensor.name}: token requests take INT64 inputs ${TOKEN_INPUTS.join(", ")} of shape [batch, sequence].`);
    }
    byName[tensor.name as TokenInput] = tensor;
  }
  const ids = byName.input_ids;
  if (ids === undefined) throw new InputError("A token request needs input_ids (INT64, shape [batch, sequence]).");
  if (ids.shape.length !== 2) throw new InputError(`Input input_ids must have shape [batch, sequence], got ${JSON.stringify(ids.shape)}.`);
  const [batch, seq] = ids.shape as [number, number];
  if (batch > MAX_INFER_BATCH) throw new InputError(`At most ${MAX_INFER_BATCH} sequences per request, got ${batch}; split the request.`);
  if (seq > model.maxSeqLength) throw new InputError(`Sequences may be at most ${model.maxSeqLength} tokens, got ${seq}.`);
  for (const name of ["attention_mask", "token_type_ids"] as const) {
    const other = byName[name];
    if (other && (other.shape.length !== 2 || other.shape[0] !== batch || other.shape[1] !== seq)) {
      throw new InputError(`Input ${name} must have the shape of input_ids ${JSON.stringify(ids.shape)}, got ${JSON.stringify(other.shape)}.`);
    }
  }
  const idValues = tokenValues(ids, model.tokenizer.vocabSize, `a token id from 0 to ${model.tokenizer.vocabSize - 1}`);
  const mask = byName.attention_mask && tokenValues(byName.attention_mask, 2, "0 or 1");
  const types = byName.token_type_ids && tokenValues(byName.token_type_ids, 2, "0 or 1");
  const rows: InferenceRow[] = Array.from({ length: batch }, (_, r) => ({
    ids: idValues.subarray(r * seq, (r + 1) * seq),
    contextStart: seq,
    typeIds: types?.subarray(r * seq, (r + 1) * seq) ?? new Int32Array(seq),
    ...(mask ? { attentionMask: mask.subarray(r * seq, (r + 1) * seq) } : {}),
  }));
  const outputs = await Promise.all(rows.map((row) => model.queue.submit(row, signal, trace)));
  if (model.task === "text-classification") return classificationOutputs(outputs.map(classLogits), model.labels);
  const results = outputs.map(spanLogits);
  const gather = (pick: "start" | "end") => results.flatMap((logits) => Array.from(logits[pick]));
  return [
    { name: "start_logits", datatype: "FP32", shape: [batch, seq], data: gather("start") },
    { name: "end_logits", datatype: "FP32", shape: [batch, seq], data: gather("end") },
  ];
}

/** A classifier's answer: `logits` FP32 [rows, labels] and each row's `label` (the most likely class) as BYTES [rows]. */
function classificationOutputs(logits: readonly Float32Array[], labels: readonly string[]): InferOutput[] {
  return [
    { name: "logits", datatype: "FP32", shape: [logits.length, logits[0]?.length ?? 0], data: logits.flatMap((row) => Array.from(row)) },
    { name: "label", datatype: "BYTES", shape: [logits.length], data: logits.map((row) => labelOf(row, labels).label) },
  ];
}

/** The request's `outputs` list (names the client wants); undefined when absent (every output). */
export function parseRequestedOutputs(body: unknown): string[] | undefined {
  if (!isObject(body) || body["outputs"] === undefined) return undefined;
  const outputs = body["outputs"];
  if (!Array.isArray(outputs) || !outputs.every((output) => isObject(output) && typeof output["name"] === "string")) {
    throw new InputError('"outputs" must be an array of objects with a name, such as [{"name": "start_logits"}].');
  }
  return outputs.map((output) => (output as { name: string }).name);
}

/**
 * Runs a parsed request: BYTES inputs are questions and contexts, INT64 inputs are token tensors.
 * With `requested`, only those outputs come back, in the order asked (an unknown name is a 400). `signal`
 * (the request's) drops its rows from the queue if the client leaves before they run.
 */
export async function runInfer(
  model: LoadedModel,
  tensors: TensorJson[],
  postprocess: boolean,
  requested?: readonly string[],
  signal?: AbortSignal,
  trace?: BatchTrace,
): Promise<InferOutput[]> {
  const isText = tensors.some((tensor) => tensor.datatype === "BYTES" || TEXT_INPUTS.has(tensor.name));
  const available = model.task === "text-classification" ? ["logits", "label"] : isText ? ["answer"] : ["start_logits", "end_logits"];
  const unknown = requested?.find((name) => !available.includes(name));
  if (unknown !== undefined) {
    const form = isText ? "text" : "token";
    throw new InputError(`Unknown output ${unknown}: ${form} requests give ${available.join(" and ")}; ask for those or leave "outputs" out.`);
  }
  const outputs = isText ? await inferText(model, tensors, postprocess, signal, trace) : await inferTokens(model, tensors, signal, trace);
  if (requested === undefined || requested.length === 0) return outputs;
  return requested.map((name) => outputs.find((output) => output.name === name)!);
}
