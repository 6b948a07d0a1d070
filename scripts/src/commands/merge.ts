import { mergeResults, readResultFiles, renderMarkdown, writeResultFile } from "@inference-fleet/load-test";
import { defineCommand, UsageError } from "../command.js";

export const merge = defineCommand({
  path: ["merge"],
  summary: "Merge results files of one test run (k6 pods, several generators) into one, exactly.",
  details:
    "Counts add up and latency histograms add up bucket by bucket; percentiles are read from the merged histogram.\nExample: fleet merge results/pod-*.json " +
    "--out results/merged.json",
  options: {
    out: { type: "string", valueName: "FILE", description: "Where to write the merged results JSON.", default: "results/merged.json" },
  },
  positionals: "FILE...",
  async run({ values, positionals }) {
    if (positionals.length === 0) throw new UsageError("Pass the results files to merge.");
    const merged = mergeResults(await readResultFiles(positionals));
    const out = values.out ?? "results/merged.json";
    await writeResultFile(out, merged);
    console.log(renderMarkdown([merged]));
    console.log(`Merged ${positionals.length} file(s) into ${out}.`);
    return 0;
  },
});
