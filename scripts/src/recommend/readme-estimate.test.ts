// The README's "cost of a typical search" is this code's own estimate for the example it states: the test
// recomputes it from the shipped stacks and the catalog's prices, so the figure cannot drift from the code.
import { readFileSync } from "node:fs";
import path from "node:path";
import { defaultStacksDir } from "@inference-fleet/fleet-config";
import { describe, expect, it } from "vitest";
import { buildCandidates } from "./candidates.js";
import { parseRecommendRequest } from "./request.js";
import { estimateSearchCost, renderEstimate } from "./search-cost.js";

/** The README's example: every shipped family, both precisions. */
const README_EXAMPLE = { model: "hf://deepset/bert-base-cased-squad2", slo: "p90<=50ms", rate: "5000", precision: "fp32,int8" };

function readmeEstimate(): string {
  const stacksDir = defaultStacksDir();
  const { candidates } = buildCandidates({
    request: parseRecommendRequest(README_EXAMPLE),
    stacksDir,
    env: {},
    modelName: "bert-base-cased-squad2",
    modelSource: (precision) => (precision === "fp32" ? `${README_EXAMPLE.model}@main` : ".cache/recommend/models/int8"),
    commandLine: "fleet recommend (README example)",
  });
  return renderEstimate(
    estimateSearchCost(
      candidates.map((c) => c.config),
      false,
    ),
    false,
    0,
  );
}

describe("README", () => {
  it("quotes the search-cost estimate the code computes for its example", () => {
    const readme = readFileSync(path.join(path.dirname(defaultStacksDir()), "README.md"), "utf8");
    const estimate = readmeEstimate();
    expect(estimate).toMatch(/^Search cost \(an estimate\): 6 candidate\(s\) to measure, \$\d+\.\d\d over \d+ min/);

    expect(readme).toContain(
      estimate
        .split("\n")
        .map((line) => `    ${line}`)
        .join("\n"),
    );
  });
});
