// What a search leaves behind: the report folder (summary, every candidate's curve on shared axes, their results) and
// the winner's stack file, sized as answered, with its measurement under its own name so \`fleet plan\` sizes it too.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type LoadTestResult } from "@inference-fleet/load-test";
import { renderHtml } from "@inference-fleet/reports";
import type { Candidate } from "./candidates.js";
import { renderGeneratedStack, writeGeneratedStack } from "./generated-stack.js";
import type { RankedCandidate } from "./ranking.js";

export interface FinishedCandidate {
  readonly candidate: Candidate;
  readonly result: LoadTestResult;
  /** Its results file, as the sizing names it. */
  readonly file: string;
}

/** Writes stacks/Pulumi.<model>-recommended.yaml (or the next free name) and its measurement into the report folder; returns the stack name. */
export function writeWinner(
  winner: RankedCandidate,
  where: { readonly stacksDir: string; readonly outDir: string; readonly commandLine: string },
  modelName: string,
  answer: string,
): string {
  const { sizing, candidate } = winner;
  const edits = { "cluster.fleetNodes": sizing.nodes, "server.numServers": sizing.servers };
  const header = [
    `Recommended by \`${where.commandLine}\`, ${new Date().toISOString()}`,
    answer.split("\n")[0]!,
    `Measured as candidate ${candidate.label} (settings from stacks/Pulumi.${candidate.template}.yaml), sized by \`fleet plan --for-rate\`'s rule.`,
  ];
  const name = writeGeneratedStack(where.stacksDir, `${modelName}-recommended`, renderGeneratedStack(candidate.text, edits, header));
  // Its measurement under the winner's name too, so `fleet plan --stack <winner>` sizes it from the same figures.
  const labelled = { ...winner.result, labels: { ...winner.result.labels, stack: name } };
  mkdirSync(where.outDir, { recursive: true });
  writeFileSync(path.join(where.outDir, `${name}.json`), `${JSON.stringify(labelled, null, 2)}\n`);
  return name;
}

/** summary.md (the answer), report.html (every candidate's curve on shared axes) and one results file per candidate. */
export function writeReport(outDir: string, finished: readonly FinishedCandidate[], answer: string, title: string): void {
  mkdirSync(outDir, { recursive: true });
  for (const { candidate, result } of finished) writeFileSync(path.join(outDir, `${candidate.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(path.join(outDir, "summary.md"), `# ${title}\n\n${answer}\n`);
  // Every candidate's curve on the same axes (the report's charts share them across runs).
  if (finished.length > 0)
    writeFileSync(
      path.join(outDir, "report.html"),
      renderHtml(
        finished.map((f) => f.result),
        title,
      ),
    );
}
