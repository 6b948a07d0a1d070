import { readResultFiles, writeReport } from "@inference-fleet/load-test";
import { defineCommand, UsageError } from "../command.js";

export const report = defineCommand({
  path: ["report"],
  summary: "Write a Markdown summary (printed too) and a self-contained HTML report of results files.",
  details:
    "Give one file per stack or instance type to compare them side by side (throughput per instance, p90, USD per million inferences).\nLabel results with " +
    "instanceType (and servers) for prices, e.g. fleet load --label instanceType=c7g.xlarge.\nExample: fleet report results/c7g.json results/g5.json --out " +
    "results/report",
  options: {
    out: { type: "string", valueName: "DIR", description: "Folder for report.md and report.html.", default: "results/report" },
  },
  positionals: "FILE...",
  async run({ values, positionals }) {
    if (positionals.length === 0) throw new UsageError("Pass at least one results file.");
    const written = await writeReport(await readResultFiles(positionals), values.out ?? "results/report");
    console.log(written.markdown);
    console.log(`Wrote ${written.markdownPath} and ${written.htmlPath}.`);
    return 0;
  },
});
