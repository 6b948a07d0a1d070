// `fleet recommend` on AWS under a fake workspace (as the matrix tests run it): one generated stack per type from the
// shipped templates, quotas checked before any up, the search's cost estimated (and --max-usd honoured), each stack
// measured by `fleet matrix` against synthetic knees, sized for the rate and ranked; a second run reuses everything.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { defaultStacksDir, executionProviderFor, loadStackConfig, planStack, VCPU_QUOTAS } from "@inference-fleet/fleet-config";
import { FakeHub, tinyUncasedQaCheckpoint } from "@inference-fleet/model-zoo/testing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { fakeCapacityPass, fakes } from "../matrix/test-fixtures.js";
import { isGeneratedStackText } from "./generated-stack.js";
import { measureOnAws } from "./measure.js";
import { recommend, type RecommendContext } from "./recommend.js";
import { parseRecommendRequest } from "./request.js";

const REPO = "test-org/tiny-bert-uncased-qa";
/** Where each synthetic fleet's p90 leaves the SLO (req/s per node); inf2's p90 is over it at any rate. */
const KNEES: Record<string, number> = { c7i: 500, c7g: 333, g5: 1500, inf2: 0 };

let hub: FakeHub;
let root: string;
let stacksDir: string;

beforeAll(async () => {
  hub = await FakeHub.start();
  hub.addCommit(REPO, tinyUncasedQaCheckpoint());
  root = mkdtempSync(path.join(tmpdir(), "fleet-recommend-aws-"));
  stacksDir = path.join(root, "stacks");
  mkdirSync(stacksDir);
  for (const stack of ["c7i", "c7g", "g5", "inf2"])
    copyFileSync(path.join(defaultStacksDir(), `Pulumi.${stack}.yaml`), path.join(stacksDir, `Pulumi.${stack}.yaml`));
  vi.stubEnv("HF_ENDPOINT", hub.url);
  vi.stubEnv("HF_HOME", path.join(root, "hf-home"));
  vi.stubEnv("HF_TOKEN", "");
  vi.stubEnv("HF_HUB_OFFLINE", "");
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await hub.close();
});

/** The fake matrix: each generated stack's capacity passes against its family's knee, its servers on the provider it asks for. */
function fakeAws() {
  const loadConfig = (stack: string, env: Record<string, string>) => loadStackConfig(stack, { stacksDir, env });
  const family = (stack: string) => stack.split("-")[1]!;
  return fakes({
    results: (stack, env) => {
      const provider = executionProviderFor(loadConfig(stack, env).server.processor);
      return fakeCapacityPass(stack, env, KNEES[family(stack)]!, KNEES[family(stack)]!, loadConfig).map((r) => ({
        ...r,
        servers: r.targets.map((target) => ({ target, executionProvider: provider })),
      }));
    },
  });
}

function context(aws: ReturnType<typeof fakeAws>, lines: string[], out: string): RecommendContext {
  const { loadConfig: _unused, ...matrix } = aws.deps;
  return {
    repoRoot: root,
    stacksDir,
    cacheDir: path.join(root, ".cache", "recommend"),
    outDir: path.join(root, "results", out),
    env: {},
    log: (line) => lines.push(line),
    commandLine: "fleet recommend (test)",
    // The account has no G and VT vCPUs: g5 is refused before anything is created.
    quotaValues: async () => new Map([[VCPU_QUOTAS["g-and-vt"].code, 0]]),
    startMeasuring: async () => measureOnAws(matrix, 60_000),
  };
}

const request = (extra: Record<string, string> = {}) =>
  // No --types: every family with a template in the stacks folder (c7i, c7g, g5, inf2 were copied there).
  parseRecommendRequest({ model: `hf://${REPO}`, slo: "p90<=50ms", rate: "5000", precision: "fp32", ...extra });

describe("fleet recommend on AWS (fake workspace, synthetic knees)", { timeout: 120_000 }, () => {
  it("refuses a search estimated over --max-usd before any up, and writes no stack file", async () => {
    const aws = fakeAws();
    const lines: string[] = [];
    const outcome = await recommend(request({ "max-usd": "1" }), context(aws, lines, "refused"));
    expect(outcome.exitCode).toBe(1);
    expect(aws.events).toEqual([]);
    expect(outcome.estimate!.usd).toBeGreaterThan(1);
    // One stack per type that passed the quotas, each priced at `fleet plan`'s $/h.
    expect(outcome.estimate!.candidates.map((c) => c.name)).toEqual(["rec-c7i-fp32", "rec-c7g-fp32", "rec-inf2-fp32"]);
    expect(lines.join("\n")).toMatch(/Refused: the search is estimated at \$\d+\.\d\d, over --max-usd \$1\.00; nothing was created/);
    expect(readdirSync(stacksDir).filter((f) => f.startsWith("Pulumi.rec-"))).toEqual([]);
  });

  it("generates, plans, measures, sizes and ranks one stack per type; the next run reuses every measurement", async () => {
    // A stack file of the user's with a candidate's name is left as it is.
    const usersFile = path.join(stacksDir, "Pulumi.rec-c7g-fp32.yaml");
    writeFileSync(usersFile, readFileSync(path.join(stacksDir, "Pulumi.c7g.yaml")));
    const before = readFileSync(usersFile, "utf8");
    const aws = fakeAws();
    const lines: string[] = [];
    const outcome = await recommend(request(), context(aws, lines, "first"));

    // g5 over quota: refused before any up; every other stack up once per pass and destroyed.
    expect(aws.events.filter((e) => e.includes("g5"))).toEqual([]);
    expect(aws.events.filter((e) => e.startsWith("destroy"))).toEqual(["destroy rec-c7i-fp32", "destroy rec-c7g-fp32-2", "destroy rec-inf2-fp32"]);
    expect(lines.join("\n")).toMatch(
      /g5\.xlarge fp32: not measured: over quota: Running On-Demand G and VT instances \(vCPUs\) is 0 in us-east-1 and its stack needs 4\./,
    );
    const refusedAt = lines.findIndex((line) => line.startsWith("g5.xlarge fp32: not measured"));
    expect(refusedAt).toBeGreaterThanOrEqual(0);
    expect(refusedAt).toBeLessThan(lines.findIndex((line) => line.startsWith("[1/3] measuring")));
    expect(readFileSync(usersFile, "utf8")).toBe(before);
    expect(isGeneratedStackText(readFileSync(path.join(stacksDir, "Pulumi.rec-c7g-fp32-2.yaml"), "utf8"))).toBe(true);

    const ranking = outcome.ranking!;
    expect(ranking.ranked.map((r) => r.candidate.label)).toEqual(["c7i.4xlarge fp32", "c7g.4xlarge fp32"]);
    for (const { sizing, candidate } of ranking.ranked) {
      const knee = KNEES[candidate.name.split("-")[1]!]!;
      expect(sizing.capacityPerNode).toBeLessThanOrEqual(knee);
      expect(sizing.capacityPerNode).toBeGreaterThanOrEqual(knee / 1.05);
      expect(sizing.nodes).toBe(Math.ceil(5000 / (sizing.capacityPerNode * 0.8) - 1e-9));
    }
    expect(ranking.ranked[0]!.sizing.usdPerMonth).toBeLessThan(ranking.ranked[1]!.sizing.usdPerMonth);
    expect(ranking.unmet.map((u) => u.label)).toEqual(["g5.xlarge fp32", "inf2.xlarge fp32"]);
    expect(ranking.unmet[1]!.reason).toMatch(/^latency floor above the SLO: p90 150\.\d ms already at \d+ req\/s/);
    const { nodes } = ranking.ranked[0]!.sizing;
    expect(outcome.answer).toMatch(
      new RegExp(`^Serve 5,000 req/s at p90 <= 50 ms with ${nodes} x c7i\\.4xlarge, fp32, for \\$[\\d,.]+/month; next: \\d+ x c7g\\.4xlarge, fp32`),
    );

    // The winner's stack file: generated, valid, fits, and sized as answered.
    const winner = loadStackConfig(outcome.winnerStack!, { stacksDir, env: {} });
    expect(outcome.winnerStack).toBe("tiny-bert-uncased-qa-recommended");
    expect(planStack(winner).fits).toBe(true);
    expect(winner).toMatchObject({ instanceType: "c7i.4xlarge", cluster: { fleetNodes: nodes }, model: { precision: "fp32" } });
    expect(winner.model.source).toMatch(new RegExp(`^hf://${REPO}@[0-9a-f]{40}$`));
    expect(readFileSync(path.join(root, "results", "first", "report.html"), "utf8")).toContain("<svg");

    // Same inputs again: nothing is created, and every measured candidate (inf2's too) is reused.
    const again = fakeAws();
    const second = await recommend(request(), context(again, [], "second"));
    expect(again.events).toEqual([]);
    expect(second.reused.sort()).toEqual(["rec-c7g-fp32", "rec-c7i-fp32", "rec-inf2-fp32"]);
    expect(second.measured).toEqual([]);
    expect(second.ranking!.ranked.map((r) => r.sizing.usdPerMonth)).toEqual(ranking.ranked.map((r) => r.sizing.usdPerMonth));
    expect(existsSync(path.join(stacksDir, "Pulumi.tiny-bert-uncased-qa-recommended.yaml"))).toBe(true);
  });

  it("measures again only what is missing or stale: a lost measurement, then every candidate of a new model commit", async () => {
    const cacheDir = path.join(root, ".cache", "recommend");
    const first = await recommend(request(), context(fakeAws(), [], "before"));
    expect(first.measured).toEqual([]);
    // One candidate's saved measurement is gone: only that stack goes up.
    const saved = readdirSync(cacheDir).filter((name) => name !== "models");
    const c7g = saved.find((key) => readFileSync(path.join(cacheDir, key, "measurement.json"), "utf8").includes("c7g.4xlarge fp32"))!;
    rmSync(path.join(cacheDir, c7g), { recursive: true });
    const missing = fakeAws();
    const lines: string[] = [];
    const refill = await recommend(request(), context(missing, lines, "missing"));
    expect(missing.events.filter((e) => e.startsWith("destroy"))).toEqual(["destroy rec-c7g-fp32-2"]);
    expect(refill.reused.sort()).toEqual(["rec-c7i-fp32", "rec-inf2-fp32"]);
    expect(lines.join("\n")).toMatch(/Search cost \(an estimate\): 1 candidate\(s\) to measure \(2 reused from earlier runs\), \$1\.\d\d/);
    expect(lines.join("\n")).toMatch(/Search cost: \$0\.\d\d spent \(estimated \$1\.\d\d\); 1 candidate\(s\) measured now, 2 reused/);

    // main moves to a new commit: every measurement is of another model now.
    hub.addCommit(REPO, tinyUncasedQaCheckpoint({ seed: 12 }));
    const moved = fakeAws();
    const after = await recommend(request(), context(moved, [], "new-commit"));
    expect(after.reused).toEqual([]);
    expect(after.measured.sort()).toEqual(["rec-c7g-fp32-2", "rec-c7i-fp32", "rec-inf2-fp32"]);
  });
});
