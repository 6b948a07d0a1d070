import { compareModels, type CompareReport } from "../model-tools/compare-models.js";
import { defineCommand, UsageError } from "../command.js";
import { formatSeconds, parseWholeNumber, progressPrinter } from "./model-options.js";

export const modelCompare = defineCommand({
  path: ["model", "compare"],
  summary: "Run two model dirs (e.g. fp32 and int8) on the same random question/context pairs and say how far apart they are.",
  details: `Both models run in this process through ONNX Runtime, as the model server runs them (batch 1, one
thread each by default), on N seeded random question/context pairs written from the tokenizer's
vocabulary and tokenized with A's tokenizer.json (A and B must share it). Reports the answer-span
agreement (same best start and end token as the server would answer), its token F1, the mean (and
lowest) cosine similarity of the logits per pair, and the largest absolute logit error.

By default it runs as many pairs as fit in 30 s (--seconds): about 80 pairs of bert-base on one core, or
thousands of the tiny model; --pairs N caps the count (alone, it runs exactly N pairs).

Example: fleet model compare models/base models/base-int8 --seconds 120`,
  positionals: "A B",
  options: {
    pairs: { type: "string", valueName: "N", description: "Question/context pairs to run at most (alone: exactly N, no time limit)." },
    seconds: { type: "string", valueName: "S", description: "Stop starting pairs after S seconds (default 30 unless --pairs is given)." },
    seed: { type: "string", valueName: "N", default: "1", description: "Seed of the random pairs." },
    "max-seq-length": { type: "string", valueName: "N", description: "Longest input in tokens (default: A's model.json, else 128)." },
    threads: { type: "string", valueName: "N", default: "1", description: "ONNX Runtime threads per model." },
    json: { type: "boolean", description: "Print the report as JSON." },
  },
  async run({ values, positionals }) {
    if (positionals.length !== 2) throw new UsageError(`compare needs two model dirs, A (the reference) and B, got ${positionals.length}.`);
    const [a, b] = positionals as [string, string];
    const pairs = values.pairs === undefined ? undefined : parseWholeNumber(values.pairs, "pairs", 1);
    const seconds = values.seconds !== undefined ? parseWholeNumber(values.seconds, "seconds", 1) : pairs === undefined ? 30 : undefined;
    const seed = parseWholeNumber(values.seed, "seed", 0);
    const threads = parseWholeNumber(values.threads, "threads", 1);
    const maxSeqLength = values["max-seq-length"] === undefined ? undefined : parseWholeNumber(values["max-seq-length"], "max-seq-length", 8);
    const started = performance.now();
    const progress = values.json ? undefined : progressPrinter();
    const report = await compareModels({
      a,
      b,
      ...(pairs === undefined ? {} : { pairs }),
      ...(seconds === undefined ? {} : { seconds }),
      seed,
      threads,
      maxSeqLength,
      onPair: (done, _most, estimate) =>
        progress?.(done, `Compared ${done} pairs of about ${estimate}${seconds === undefined ? "" : ` (${seconds} s budget)`}`, estimate),
    });
    if (progress && process.stdout.isTTY) process.stdout.write("\n");
    if (values.json) console.log(JSON.stringify(report, null, 2));
    else console.log(formatCompareReport(report, performance.now() - started));
    return 0;
  },
});

function formatCompareReport(report: CompareReport, elapsedMs?: number): string {
  const model = (label: string, m: CompareReport["a"]) => `  ${label}: ${m.dir} (${m.name ?? "unnamed"}, ${m.precision}), ${m.meanRunMs.toFixed(2)} ms per run`;
  const percent = (x: number) => `${(100 * x).toFixed(1)}%`;
  return [
    `${report.pairs} pairs (seed ${report.seed}, ${report.meanTokens.toFixed(0)} tokens on average, at most ` +
      `${report.maxSeqLength})${elapsedMs === undefined ? "" : ` in ${formatSeconds(elapsedMs)}`}:`,
    model("A", report.a),
    model("B", report.b),
    `  answer span agreement  ${percent(report.answerAgreement)} (token F1 ${percent(report.answerF1)})`,
    `  logits cosine          mean ${report.meanCosine.toFixed(5)}, lowest ${report.minCosine.toFixed(5)}`,
    `  max abs logit error    ${report.maxAbsError.toPrecision(3)} (largest |logit| ${report.maxAbsLogit.toPrecision(3)})`,
  ].join("\n");
}
