import { generateManyModels } from "@inference-fleet/model-zoo";
import { defineCommand } from "../command.js";
import {
  formatMegabytes,
  formatSeconds,
  parsePrecision,
  parseSize,
  parseWholeNumber,
  precisionOption,
  progressPrinter,
  requireOut,
  sizeOption,
} from "./model-options.js";

export const modelGenerateMany = defineCommand({
  path: ["model", "generate-many"],
  summary: "Build N distinct models (seeds seed-base..seed-base+N-1) into a model repository, one directory per model.",
  details: `The repository layout is what the model server's --model-repo mode serves: DIR/model0, DIR/model1, ...
each with model.onnx, tokenizer.json and model.json. A tiny model is about 17.5 MB on disk.

Example: fleet model generate-many --count 500 --size tiny --seed-base 1000 --out models/repo`,
  options: {
    count: { type: "string", valueName: "N", description: "Number of models to write (required)." },
    size: sizeOption,
    "seed-base": { type: "string", valueName: "S", default: "0", description: "Seed of the first model; model i gets S + i." },
    out: { type: "string", valueName: "DIR", description: "Model repository directory (required)." },
    "name-prefix": { type: "string", valueName: "PREFIX", default: "model", description: "Model i is named PREFIX + i." },
    precision: precisionOption,
  },
  async run({ values }) {
    const count = parseWholeNumber(values.count, "count", 1);
    const size = parseSize(values.size);
    const seedBase = parseWholeNumber(values["seed-base"], "seed-base", 0);
    const outDir = requireOut(values.out);
    const precision = parsePrecision(values.precision);
    const started = performance.now();
    let bytes = 0;
    const progress = progressPrinter(count);
    await generateManyModels({
      count,
      size,
      seedBase,
      outDir,
      namePrefix: values["name-prefix"],
      precision,
      onProgress(done, total, model) {
        bytes += model.bytes;
        progress(done, `Generated ${done}/${total} models (${model.name}), ${formatSeconds(performance.now() - started)}`);
      },
    });
    console.log(
      `Wrote ${count} ${size}${precision === "int8" ? " int8" : ""} models to ${outDir}: ${formatMegabytes(bytes)} of model.onnx in ` +
        `${formatSeconds(performance.now() - started)}.`,
    );
    return 0;
  },
});
