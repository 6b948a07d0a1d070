import { DEFAULT_MAX_SEQUENCE_LENGTH, generateModel } from "@inference-fleet/model-zoo";
import { defineCommand, UsageError } from "../command.js";
import { formatMegabytes, formatSeconds, parsePrecision, parseSize, parseWholeNumber, precisionOption, requireOut, sizeOption } from "./model-options.js";

export const modelGenerate = defineCommand({
  path: ["model", "generate"],
  summary: "Build a BERT question-answering or text-classification model (ONNX, seeded random weights) with tokenizer.json and model.json.",
  details: `Nothing is downloaded: the weights come from the seed (same seed, byte-identical file) and the
vocabulary is bert-base-uncased's. The directory is what \`fleet serve\` loads.

With --precision int8 the fp32 model is quantized as \`fleet model quantize\` does (model.json says int8).

It writes only into a new or empty directory, or one it wrote before (it leaves a .inference-fleet-model marker).

Example: fleet model generate --size tiny --seed 7 --out models/tiny
         fleet model generate --task text-classification --labels 3 --out models/classifier`,
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
    task: {
      type: "string",
      valueName: "question-answering|text-classification",
      default: "question-answering",
      description: "The head: question answering (start/end logits) or sequence classification (logits [batch, labels], id2label in model.json).",
    },
    labels: { type: "string", valueName: "N", description: "text-classification: the number of labels (default 2, named LABEL_0, LABEL_1, ...)." },
  },
  async run({ values }) {
    const size = parseSize(values.size);
    const seed = parseWholeNumber(values.seed, "seed", 0);
    const outDir = requireOut(values.out);
    const maxSequenceLength = parseWholeNumber(values["max-seq-length"], "max-seq-length", 2);
    const precision = parsePrecision(values.precision);
    const task = values.task ?? "question-answering";
    if (task !== "question-answering" && task !== "text-classification") {
      throw new UsageError(`--task must be question-answering or text-classification, got "${task}".`);
    }
    if (values.labels !== undefined && task !== "text-classification") throw new UsageError("--labels goes with --task text-classification.");
    const numLabels = values.labels === undefined ? undefined : parseWholeNumber(values.labels, "labels", 1);
    const started = performance.now();
    const model = await generateModel({ size, seed, outDir, name: values.name, maxSequenceLength, precision, task, numLabels });
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
