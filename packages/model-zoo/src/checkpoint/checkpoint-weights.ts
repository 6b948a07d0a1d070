import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { InitializerSpec } from "../graph-builder.js";
import { SafetensorsFile } from "./safetensors.js";

export const SAFETENSORS_FILE = "model.safetensors";
export const SAFETENSORS_INDEX_FILE = "model.safetensors.index.json";

/**
 * The weights of a transformers checkpoint in safetensors form (one model.safetensors, or shards listed by
 * model.safetensors.index.json), looked up by the names the graph builder gives its initializers, which are
 * transformers' own (bert.encoder.layer.0.attention.self.query.weight, qa_outputs.bias, classifier.weight, ...).
 */
export class CheckpointWeights {
  private readonly files = new Map<string, SafetensorsFile>();
  private readonly fileOf = new Map<string, SafetensorsFile>();

  constructor(readonly dir: string) {
    const indexPath = join(dir, SAFETENSORS_INDEX_FILE);
    if (existsSync(indexPath)) {
      const index = JSON.parse(readFileSync(indexPath, "utf8")) as { weight_map?: Record<string, string> };
      if (!index.weight_map) throw new Error(`${indexPath} has no weight_map: it is not a sharded safetensors index.`);
      for (const [name, shard] of Object.entries(index.weight_map)) this.fileOf.set(name, this.open(shard));
    } else {
      const single = this.open(SAFETENSORS_FILE);
      for (const name of single.tensors.keys()) this.fileOf.set(name, single);
    }
  }

  /** Every tensor name the checkpoint holds. */
  names(): string[] {
    return [...this.fileOf.keys()];
  }

  /**
   * The initializer with its values read from the checkpoint when it is written. transformers' nn.Linear keeps
   * weights [out, in]; the graph multiplies by [in, out], so linear weights are transposed here.
   */
  bind(spec: InitializerSpec): InitializerSpec {
    const found = this.find(spec.name);
    if (!found) {
      throw new Error(
        `The checkpoint in ${this.dir} has no tensor ${spec.name} (nor an older spelling of it): it is not a transformers BERT checkpoint ` +
          `of the architecture config.json names. It holds: ${this.names().slice(0, 8).join(", ")}${this.fileOf.size > 8 ? ", ..." : ""}.`,
      );
    }
    const { file, name } = found;
    const shape = file.tensors.get(name)!.shape;
    const linear = isLinearWeight(spec.name);
    const expected = linear ? [spec.dims[1]!, spec.dims[0]!] : spec.dims;
    if (shape.length !== expected.length || shape.some((d, i) => d !== expected[i])) {
      throw new Error(
        `${file.path}: ${name} has shape [${shape.join(", ")}] where config.json implies [${expected.join(", ")}]; config.json and the weights disagree.`,
      );
    }
    const read = linear ? () => transpose(file.read(name), shape[0]!, shape[1]!) : () => file.read(name);
    return { ...spec, fill: { kind: "tensor", read } };
  }

  private find(graphName: string): { file: SafetensorsFile; name: string } | undefined {
    // Old TensorFlow-converted checkpoints call LayerNorm's parameters gamma and beta (transformers renames them on load).
    const candidates = [graphName, graphName.replace(/LayerNorm\.weight$/, "LayerNorm.gamma").replace(/LayerNorm\.bias$/, "LayerNorm.beta")];
    for (const name of candidates) {
      const file = this.fileOf.get(name);
      if (file) return { file, name };
    }
    return undefined;
  }

  private open(file: string): SafetensorsFile {
    const existing = this.files.get(file);
    if (existing) return existing;
    const opened = new SafetensorsFile(join(this.dir, file));
    this.files.set(file, opened);
    return opened;
  }
}

/** nn.Linear weights: 2-D `.weight`s other than the embedding tables (LayerNorm weights are 1-D). */
function isLinearWeight(name: string): boolean {
  return name.endsWith(".weight") && !name.includes("embeddings") && !name.includes("LayerNorm");
}

function transpose(values: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) {
    const rowStart = r * columns;
    for (let c = 0; c < columns; c++) out[c * rows + r] = values[rowStart + c]!;
  }
  return out;
}
