// `fleet recommend --local` end to end: a tiny checkpoint from the loopback hub, both precisions measured by real
// servers and ONNX Runtime on this machine, ranked; the winner's stack file passes `fleet config check` and
// `fleet plan`; a second run with the same inputs reuses both measurements and starts no server.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { defaultStacksDir } from "@inference-fleet/fleet-config";
import { FakeHub, tinyUncasedQaCheckpoint } from "@inference-fleet/model-zoo/testing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../cli.js";
import { fleetServeLaunch } from "../local/server-fleet.js";
import { GENERATED_MARK } from "./generated-stack.js";
import { recommendMain } from "./recommend-main.js";

const REPO = "test-org/tiny-bert-uncased-qa";
let hub: FakeHub;
let root: string;

beforeAll(async () => {
  hub = await FakeHub.start();
  hub.addCommit(REPO, tinyUncasedQaCheckpoint());
  // A repo of its own: Pulumi.yaml and the dev template; stacks, .cache and results are written there.
  root = mkdtempSync(path.join(tmpdir(), "fleet-recommend-local-"));
  mkdirSync(path.join(root, "stacks"));
  const repo = path.dirname(defaultStacksDir());
  copyFileSync(path.join(repo, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
  copyFileSync(path.join(repo, "stacks", "Pulumi.dev.yaml"), path.join(root, "stacks", "Pulumi.dev.yaml"));
  vi.stubEnv("HF_ENDPOINT", hub.url);
  vi.stubEnv("HF_HOME", path.join(root, "hf-home"));
  vi.stubEnv("HF_TOKEN", "");
  vi.stubEnv("HF_HUB_OFFLINE", "");
  // A short search on one server: steps of 0.5 s warm-up + 3 windows of 1 s from 50 req/s, a 2 s confirmation; --budget
  // gives each candidate 40 s, server start-up included (10-20 s here when the machine is busy).
  vi.stubEnv("FLEET_SERVER_NUM_SERVERS", "1");
  vi.stubEnv("FLEET_LOAD_TEST_CAPACITY_WINDOW_SECONDS", "1");
  vi.stubEnv("FLEET_LOAD_TEST_CAPACITY_WARMUP_SECONDS", "0.5");
  vi.stubEnv("FLEET_LOAD_TEST_CAPACITY_START_RATE", "50");
  vi.stubEnv("FLEET_LOAD_TEST_CAPACITY_CONFIRM_SECONDS", "2");
});
afterAll(async () => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  await hub.close();
});

describe("fleet recommend --local", () => {
  it("ranks fp32 and int8 on this machine, writes a stack that config check and plan accept, and reuses both next time", { timeout: 240_000 }, async () => {
    let started = 0;
    const launch = (env: Record<string, string>) => {
      started++;
      return fleetServeLaunch(env);
    };
    const options = { model: `hf://${REPO}`, slo: "p90<=100ms", rate: "2000", local: true, precision: "fp32,int8", budget: "80s" };
    const lines: string[] = [];
    const first = await recommendMain(
      { ...options, out: path.join(root, "results", "recommend-1") },
      { stacksDir: path.join(root, "stacks"), launch, log: (l) => lines.push(l) },
    );

    expect(first.exitCode).toBe(0);
    // One server per candidate.
    expect(started).toBe(2);
    expect(first.measured.sort()).toEqual(["rec-local-fp32", "rec-local-int8"]);
    const ranked = first.ranking!.ranked;
    expect(ranked.map((r) => r.candidate.precision).sort()).toEqual(["fp32", "int8"]);
    expect(ranked[0]!.sizing.usdPerMonth).toBeLessThanOrEqual(ranked[1]!.sizing.usdPerMonth);
    for (const { sizing } of ranked) expect(sizing.nodes).toBe(Math.ceil(2000 / (sizing.capacityPerNode * 0.8) - 1e-9));
    expect(first.answer).toMatch(/^Serve 2,000 req\/s at p90 <= 100 ms with \d+ x c7i\.xlarge, (fp32|int8), for \$[\d,.]+\/month; next: /);
    expect(first.answer).toContain("Measured on this machine, one node standing for c7i.xlarge");
    expect(lines.join("\n")).toMatch(/Search cost: 2 candidate\(s\) to measure on this machine, at most \d+ min of load; no cloud cost\./);

    // The winner's stack file, checked by the commands a user would run.
    const winner = first.winnerStack!;
    const text = readFileSync(path.join(root, "stacks", `Pulumi.${winner}.yaml`), "utf8");
    expect(text).toContain(GENERATED_MARK);
    expect(text).toContain(`precision: ${ranked[0]!.candidate.precision}`);
    vi.spyOn(process, "cwd").mockReturnValue(root);
    const printed: string[] = [];
    vi.spyOn(console, "log").mockImplementation((...args) => void printed.push(args.join(" ")));
    expect(await main(["config", "check", "--stack", winner])).toBe(0);
    expect(await main(["plan", "--stack", winner])).toBe(0);
    expect(printed.join("\n")).toContain(`Stack ${winner}: to serve 2,000 req/s at p90 <= 100 ms, use ${ranked[0]!.sizing.nodes} x c7i.xlarge`);
    vi.mocked(process.cwd).mockRestore();

    // Same inputs: both measurements reused, no server started.
    const again: string[] = [];
    const second = await recommendMain(
      { ...options, out: path.join(root, "results", "recommend-2") },
      { stacksDir: path.join(root, "stacks"), launch, log: (l) => again.push(l) },
    );
    expect(started).toBe(2);
    expect(second.measured).toEqual([]);
    expect(second.reused.sort()).toEqual(["rec-local-fp32", "rec-local-int8"]);
    expect(again.filter((line) => /reusing the measurement of/.test(line))).toHaveLength(2);
    expect(second.answer!.split("\n")[0]).toBe(first.answer!.split("\n")[0]);
    expect(second.winnerStack).toBe(winner);
  });
});
