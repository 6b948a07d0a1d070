import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { summarizeStack } from "./comparison.js";
import { buildMatrixReport, renderPreviewSummary, writeMatrixReport } from "./matrix-report.js";
import type { StackRun } from "./run-matrix.js";
import { fakeResult } from "./test-fixtures.js";

const slo = { percentile: 90, latencyMs: 100, maxErrorRate: 0.01 } as const;
const merged = { ...fakeResult({ requests: 5000 }), labels: { stack: "c7g", instanceType: "c7g.4xlarge", servers: "1" } };
const runs: StackRun[] = [
  { stack: "c7g", status: "measured", merged, summary: summarizeStack("c7g", "c7g.4xlarge", 1, merged) },
  {
    stack: "g5",
    status: "failed",
    step: "wait",
    reason: "load-test pod k6-0 was OOMKilled.",
    destroyError: "destroy failed, resources are still up: timeout. Run `pulumi destroy --stack g5`.",
  },
];

describe("matrix report", () => {
  it("lists a failed step and a failed destroy as failures, and writes every file", () => {
    const report = buildMatrixReport(runs, slo);
    expect(report.summaries.map((s) => s.stack)).toEqual(["c7g"]);
    expect(report.failures.map((f) => f.reason)).toEqual([
      expect.stringMatching(/^wait failed: .*OOMKilled/),
      expect.stringMatching(/pulumi destroy --stack g5/),
    ]);
    const dir = mkdtempSync(path.join(tmpdir(), "matrix-report-"));
    writeMatrixReport(dir, runs, report);
    const markdown = readFileSync(path.join(dir, "comparison.md"), "utf8");
    expect(markdown).toContain("Cheapest meeting the SLO: c7g.4xlarge");
    // comparison.md leads with the verdict report.html leads with.
    const verdict = /\*\*Verdict: (.+)\*\*/.exec(markdown)?.[1];
    expect(verdict).toMatch(/^c7g\.4xlarge: /);
    expect(readFileSync(path.join(dir, "report.html"), "utf8")).toContain(verdict!.replaceAll("<", "&lt;").replaceAll(">", "&gt;"));
    expect(JSON.parse(readFileSync(path.join(dir, "c7g.json"), "utf8")).requests).toBe(5000);
    expect(readFileSync(path.join(dir, "report.html"), "utf8")).toContain("c7g");
    expect(existsSync(path.join(dir, "g5.json"))).toBe(false);
  });

  it("summarizes a preview-only run", () => {
    expect(renderPreviewSummary([{ stack: "c7i", status: "previewed", changes: { create: 42 } }, runs[1]!])).toBe(
      "c7i: preview ok (42 create)\ng5: wait failed: load-test pod k6-0 was OOMKilled.",
    );
  });
});
