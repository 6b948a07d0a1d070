import { readResultFiles } from "@inference-fleet/load-test";
import { writeReport } from "@inference-fleet/reports";
import { defineCommand, UsageError } from "../command.js";
import { priceLabelsFrom, priceOptions, withPriceLabels } from "./price-options.js";

export const report = defineCommand({
  path: ["report"],
  summary: "Write a Markdown summary (printed too) and a self-contained HTML report of results files.",
  details:
    "Both lead with the verdict: the run that serves its SLO for the least per inference (capacity searches are priced at their capacity).\n" +
    "Give one file per stack or instance type to compare them side by side (rate per node, latency, USD per million inferences).\nLabel results with " +
    "instanceType (and servers) for prices, e.g. fleet load --label instanceType=c7g.xlarge, or price every file given here with --as or --usd-per-hour.\n" +
    "Example: fleet report results/c7g.json results/g5.json --out results/report",
  options: {
    out: { type: "string", valueName: "DIR", description: "Folder for report.md and report.html.", default: "results/report" },
    ...priceOptions,
  },
  positionals: "FILE...",
  async run({ values, positionals }) {
    if (positionals.length === 0) throw new UsageError("Pass at least one results file.");
    const results = withPriceLabels(await readResultFiles(positionals), priceLabelsFrom(values));
    const written = await writeReport(results, values.out ?? "results/report");
    console.log(written.markdown);
    console.log(`Wrote ${written.markdownPath} and ${written.htmlPath}.`);
    return 0;
  },
});
