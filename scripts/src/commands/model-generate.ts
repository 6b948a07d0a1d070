import { DEFAULT_MAX_SEQUENCE_LENGTH, generateModel } from "@inference-fleet/model-zoo";
import { defineCommand } from "../command.js";
import { formatMegabytes, formatSeconds, parsePrecision, parseSize, parseWholeNumber, precisionOption, requireOut, sizeOption } from "./model-options.js";

export const modelGenerate = defineCommand({
  path: ["model", "generate"],
  summary: "Build a BERT question-answering model (ONNX, seeded random weights) with its tokenizer.json and model.json.",
  details: `Nothing is downloaded: the weights come from the seed (same seed, byte-identical file) and the
vocabulary is bert-base-uncased's. The directory is what \`fleet serve\` loads.

With --precision int8 the fp32 model is quantized as \`fleet model quantize\` does (model.json says int8).

Example: fleet model generate --size tiny --seed 7 --out models/tiny`,
  options: {
    size: sizeOption,
    seed: { type: "string", valueName: "N", default: "0", description: "Seed of the weights, a whole number." },
    out: { type: "string", valueName: "DIR", description: "Directory to write model.onnx, tokenizer.json and model.json into (required)." },
    name: { type: "string", valueName: "NAME", description: "Model name in model.json (default bert-qa-<size>-seed<seed>)." },
    "max-seq-length": {
      type: "string",
      valueName: "N",
      default: String(DEFAULT_MAX_SEQUENCE_LENGTH),
      description: "Longest input, in tokens, the server should send (2 to 512).",
    },
    precision: precisionOption,
  },
  async run({ values }) {
    const size = parseSize(values.size);
    const seed = parseWholeNumber(values.seed, "seed", 0);
    const outDir = requireOut(values.out);
    const maxSequenceLength = parseWholeNumber(values["max-seq-length"], "max-seq-length", 2);
    const precision = parsePrecision(values.precision);
    const started = performance.now();
    const model = await generateModel({ size, seed, outDir, name: values.name, maxSequenceLength, precision });
    const elapsed = performance.now() - started;
    console.log(`Wrote ${model.name} (${size}, seed ${seed}${precision === "int8" ? ", int8" : ""}) to ${model.dir}:`);
    for (const file of model.files) console.log(`  ${file}`);
    const fromFp32 = model.quantization
      ? ` (${((100 * model.bytes) / model.quantization.fromBytes).toFixed(1)}% of fp32's ${formatMegabytes(model.quantization.fromBytes)})`
      : "";
    console.log(`${model.parameters.toLocaleString("en-US")} parameters, model.onnx ${formatMegabytes(model.bytes)}${fromFp32}, in ${formatSeconds(elapsed)}.`);
    return 0;
  },
});
