// End to end: `fleet tune` on this machine with real model servers, a tiny budget and two candidates
// (the shipped settings and one more), against a copy of the dev stack file.
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { defaultStacksDir, loadStackConfig } from "@inference-fleet/fleet-config";
import { describe, expect, it } from "vitest";
import { tunedStackPath } from "./stack-patch.js";
import { tuneMain } from "./tune-main.js";

const BUDGET_SECONDS = 80;

describe("fleet tune --stack dev (real servers, two candidates)", { timeout: (BUDGET_SECONDS + 60) * 1000 }, () => {
  it("keeps to its budget, prints the ranked table and a verdict, and writes a valid tuned stack only for a winner", async () => {
    const repoStacks = defaultStacksDir(import.meta.dirname);
    const work = mkdtempSync(path.join(tmpdir(), "fleet-tune-e2e-"));
    const stacksDir = path.join(work, "stacks");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(stacksDir);
    copyFileSync(path.join(repoStacks, "Pulumi.dev.yaml"), path.join(stacksDir, "Pulumi.dev.yaml"));
    const lines: string[] = [];

    const code = await tuneMain(
      { stack: "dev", budget: `${BUDGET_SECONDS}s`, candidates: "2" },
      { stacksDir, env: { FLEET_MODEL_SOURCE: path.join(path.dirname(repoStacks), "models", "bert-qa-tiny") }, log: (line) => lines.push(line) },
    );

    const printed = lines.join("\n");
    if (process.env.TUNE_E2E_PRINT) console.log(printed);
    expect(code, printed).toBe(0);
    // Tune's own accounting, not the wall clock: every measurement was granted time that ends within the budget.
    const planned = /^Planned: (\d+) measurements, the last granted until ([\d.]+) s of the (\d+) s budget\.$/m.exec(printed);
    expect(planned, printed).not.toBeNull();
    expect(Number(planned![1])).toBeGreaterThanOrEqual(1);
    expect(Number(planned![2])).toBeLessThanOrEqual(BUDGET_SECONDS);
    expect(Number(planned![3])).toBe(BUDGET_SECONDS);
    expect(printed).toMatch(/coarse 1\/2: .*\(shipped\) \.\.\./);
    expect(printed).toMatch(/coarse 1\/2: \d+ req\/s per node/);
    expect(printed).toMatch(/^# +req\/s per node +p90 ms +measured +settings$/m);
    expect(printed).toMatch(/<- shipped/);
    const file = tunedStackPath(stacksDir, "dev");
    if (/beats the shipped settings/.test(printed)) {
      expect(printed).toMatch(/final 1\/2: \d+ req\/s/);
      expect(printed).toMatch(/final 2\/2: \d+ req\/s/);
      expect(readFileSync(file, "utf8")).toMatch(/^# Tuned by `fleet tune --stack dev --budget 80s --candidates 2` on this machine/);
      expect(loadStackConfig("dev-tuned", { stacksDir, env: {} }).stack).toBe("dev-tuned");
    } else {
      expect(printed).toMatch(/The shipped settings were best|budget ran out|No candidate held/);
      expect(existsSync(file)).toBe(false);
    }
  });
});
