import { convertModelDirs } from "@inference-fleet/model-server";
import { defineCommand, UsageError } from "../command.js";
import { formatSeconds, progressPrinter } from "./model-options.js";

export const modelConvert = defineCommand({
  path: ["model", "convert"],
  summary: "Write model.ort (ONNX Runtime's format, optimized) beside model.onnx, for fast loads in repository mode.",
  details: `DIR is a model dir or a model repository (each subdirectory a model dir). Model dirs whose model.ort is
newer than their model.onnx are skipped. A repository server loads model.ort in place in a few milliseconds
instead of loading and optimizing model.onnx (10-150 ms per tiny model, blocking the server meanwhile), and
otherwise converts each model on its first load. The file is portable ("extended" optimizations) and
belongs to this ONNX Runtime version; upload it with the model (fleet's model store copies the whole dir).

Example: fleet model convert --dir models/many`,
  options: {
    dir: { type: "string", valueName: "DIR", description: "Model dir or repository (required)." },
  },
  async run({ values }) {
    if (!values.dir) throw new UsageError("--dir is required: a model dir or a repository of model dirs.");
    const started = performance.now();
    let progress: ReturnType<typeof progressPrinter> | undefined;
    const { converted, upToDate } = await convertModelDirs(values.dir, {
      onConverted: (modelDir, done, total) => {
        progress ??= progressPrinter(total);
        progress(done, `Converted ${done}/${total} (${modelDir}), ${formatSeconds(performance.now() - started)}`);
      },
    });
    console.log(`Wrote model.ort for ${converted.length} models (${upToDate.length} already up to date) in ${formatSeconds(performance.now() - started)}.`);
    return 0;
  },
});
