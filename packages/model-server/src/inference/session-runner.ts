import { endianness } from "node:os";
import { Tensor } from "onnxruntime-node";
import type { NativeSession } from "./native-session.js";

/** One sequence to run: token ids plus either a context start (token_type_ids 1 from there) or explicit type ids and mask. */
export interface InferenceRow {
  readonly ids: Int32Array;
  /** token_type_ids are 0 before this index and 1 from it on (ignored when typeIds is given). */
  readonly contextStart: number;
  readonly typeIds?: Int32Array;
  readonly attentionMask?: Int32Array;
}

/** A question-answering row's logits, one value per token of the row (padding left out). */
export interface SpanLogits {
  readonly start: Float32Array;
  readonly end: Float32Array;
}

/** A sequence-classification row's logits, one value per label. */
interface ClassLogits {
  readonly logits: Float32Array;
}

/** What a model gives for one row: span logits (start_logits, end_logits) or class logits (logits), by the model's outputs. */
export type RowLogits = SpanLogits | ClassLogits;

/** The span logits of a question-answering model's row; throws for a classification model's (a wiring mistake, not the caller's). */
export function spanLogits(row: RowLogits): SpanLogits {
  if (!("start" in row)) throw new Error("This model gives class logits, not start and end logits: it is a text-classification model.");
  return row;
}

export type Padding = "dynamic" | "fixed";

/** Input tensors for one [batch, seq] shape, reused run after run (a session runs one batch at a time). */
interface InputSet {
  readonly ids: Int32Array;
  readonly mask: Int32Array;
  readonly types: Int32Array;
  readonly feeds: Record<string, Tensor>;
}

/** Shapes kept ready; past this the pool starts again, so odd shapes cannot grow memory without bound. */
const INPUT_POOL_LIMIT = 256;
const SPAN_FETCHES = { start_logits: null, end_logits: null };
const CLASS_FETCHES = { logits: null };

if (endianness() !== "LE") throw new Error("The model server writes int64 tensors through 32-bit views and needs a little-endian CPU (x86_64 or arm64).");

/**
 * Runs batches of rows on one ONNX Runtime session: pads them (to the longest row, or to maxSeqLength
 * when padding is fixed), fills preallocated int64 tensors through 32-bit views (ids are small and
 * non-negative, so the high word stays 0) and hands each row back its own slice of the logits.
 */
export class SessionRunner {
  private readonly pool = new Map<number, InputSet>();
  private readonly feedsTypeIds: boolean;
  /** A sequence-classification model (output logits [batch, labels]) rather than question answering. */
  private readonly classifies: boolean;

  constructor(
    private readonly session: NativeSession,
    private readonly padding: Padding,
    readonly maxSeqLength: number,
  ) {
    this.feedsTypeIds = session.inputNames.includes("token_type_ids");
    this.classifies = !session.outputNames.includes("start_logits") && session.outputNames.includes("logits");
  }

  /** Runs at once, on this thread (see NativeSession). */
  run(rows: readonly InferenceRow[]): RowLogits[] {
    let seq = this.padding === "fixed" ? this.maxSeqLength : 1;
    for (const row of rows) if (row.ids.length > seq) seq = row.ids.length;
    const inputs = this.inputsFor(rows.length, seq);
    rows.forEach((row, index) => fillRow(inputs, row, index * seq, seq));
    if (this.classifies) {
      const logits = this.session.run(inputs.feeds, CLASS_FETCHES)["logits"]!.data as Float32Array;
      const labels = logits.length / rows.length;
      return rows.map((_, index) => ({ logits: logits.subarray(index * labels, (index + 1) * labels) }));
    }
    const output = this.session.run(inputs.feeds, SPAN_FETCHES);
    const start = output["start_logits"]!.data as Float32Array;
    const end = output["end_logits"]!.data as Float32Array;
    return rows.map((row, index) => {
      const offset = index * seq;
      return { start: start.subarray(offset, offset + row.ids.length), end: end.subarray(offset, offset + row.ids.length) };
    });
  }

  private inputsFor(batch: number, seq: number): InputSet {
    const key = batch * 4096 + seq;
    let inputs = this.pool.get(key);
    if (inputs === undefined) {
      if (this.pool.size >= INPUT_POOL_LIMIT) this.pool.clear();
      inputs = createInputSet(batch, seq, this.feedsTypeIds);
      this.pool.set(key, inputs);
    }
    return inputs;
  }
}

function createInputSet(batch: number, seq: number, feedsTypeIds: boolean): InputSet {
  const dims = [batch, seq];
  const int64 = () => new BigInt64Array(batch * seq);
  const ids = int64(),
    mask = int64(),
    types = int64();
  const feeds: Record<string, Tensor> = { input_ids: new Tensor("int64", ids, dims), attention_mask: new Tensor("int64", mask, dims) };
  if (feedsTypeIds) feeds["token_type_ids"] = new Tensor("int64", types, dims);
  const view = (array: BigInt64Array) => new Int32Array(array.buffer, array.byteOffset, array.length * 2);
  return { ids: view(ids), mask: view(mask), types: view(types), feeds };
}

/** Writes one row at element offset `base` (a 32-bit view holds each int64 as low word, high word). */
function fillRow(inputs: InputSet, row: InferenceRow, base: number, seq: number): void {
  const { ids, mask, types } = inputs;
  const length = row.ids.length;
  const { typeIds, attentionMask } = row;
  for (let i = 0; i < length; i++) {
    const at = (base + i) * 2;
    ids[at] = row.ids[i]!;
    mask[at] = attentionMask ? attentionMask[i]! : 1;
    types[at] = typeIds ? typeIds[i]! : i >= row.contextStart ? 1 : 0;
  }
  // Padding: everything after the row is 0 (it may hold a longer row from an earlier run).
  const padFrom = (base + length) * 2,
    padTo = (base + seq) * 2;
  ids.fill(0, padFrom, padTo);
  mask.fill(0, padFrom, padTo);
  types.fill(0, padFrom, padTo);
}
