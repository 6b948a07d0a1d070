import { mergeResults, readResultFiles, writeResultFile } from "@inference-fleet/load-test";
import { renderMarkdown } from "@inference-fleet/reports";
import { defineCommand, UsageError } from "../command.js";
import { priceLabelsFrom, priceOptions, withPriceLabels } from "./price-options.js";

export const merge = defineCommand({
  path: ["merge"],
  summary: "Merge results files of one test run (k6 pods, several generators) into one, exactly.",
  details:
    "Counts add up and latency histograms add up bucket by bucket; percentiles are read from the merged histogram.\n" +
    "--as or --usd-per-hour label the merged result with a price, which `fleet report` then uses.\n" +
    "Example: fleet merge results/pod-*.json --out results/merged.json",
  options: {
    out: { type: "string", valueName: "FILE", description: "Where to write the merged results JSON.", default: "results/merged.json" },
    ...priceOptions,
  },
  positionals: "FILE...",
  async run({ values, positionals }) {
    if (positionals.length === 0) throw new UsageError("Pass the results files to merge.");
    const labels = priceLabelsFrom(values);
    const [merged] = withPriceLabels([mergeResults(await readResultFiles(positionals))], labels);
    const out = values.out ?? "results/merged.json";
    await writeResultFile(out, merged!);
    console.log(renderMarkdown([merged!]));
    console.log(`Merged ${positionals.length} file(s) into ${out}.`);
    return 0;
  },
});
