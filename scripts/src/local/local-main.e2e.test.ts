// fleet local's flow (several stacks, Ctrl-C, usage errors) with stand-in servers: real processes answering HTTP on loopback.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { confirmedHold, parseResult } from "@inference-fleet/load-test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { UsageError } from "../command.js";
import { localMain } from "./local-main.js";
import type { ServerLaunch } from "@inference-fleet/model-server";

// Ready at once; answers every request with 200 after 2 ms.
const standIn = (env: Record<string, string>): ServerLaunch => ({
  command: process.execPath,
  args: [
    "-e",
    `require("node:http").createServer((q, s) => setTimeout(() => s.end('{"detail":"x"}'), 2)).listen(Number(process.env.PORT), process.env.HOST); ` +
      `process.on("SIGTERM", () => process.exit(0));`,
  ],
  env: { ...process.env, ...env },
});

let work: string;
beforeEach(() => {
  work = mkdtempSync(path.join(tmpdir(), "fleet-local-"));
  // Both stacks small and short, whatever their files say: one server, tiny model, 1 s.
  vi.stubEnv("FLEET_LOAD_TEST_DURATION", "1s");
  vi.stubEnv("FLEET_LOAD_TEST_PODS", "1");
  vi.stubEnv("FLEET_LOAD_TEST_CONCURRENCY", "2");
  vi.stubEnv("FLEET_SERVER_NUM_SERVERS", "1");
  vi.stubEnv("FLEET_MODEL_SOURCE", path.join(work, "model"));
  vi.stubEnv("FLEET_MODEL_GENERATE_SIZE", "tiny");
});
afterEach(() => vi.unstubAllEnvs());

describe("localMain", () => {
  it("--compare runs each stack in turn and writes one comparison", { timeout: 30_000 }, async () => {
    // c7i's file searches the capacity (as every AWS stack does): a fixed load here, as dev's.
    vi.stubEnv("FLEET_LOAD_TEST_MODE", "bmk");
    const lines: string[] = [];
    const out = path.join(work, "out");
    expect(await localMain({ compare: "dev,c7i", out }, { launch: standIn, log: (line) => lines.push(line) })).toBe(0);
    const stacks = ["dev", "c7i"].map((stack) => parseResult(JSON.parse(readFileSync(path.join(out, `results-${stack}.json`), "utf8")), stack).labels.stack);
    expect(stacks).toEqual(["dev", "c7i"]);
    const summary = readFileSync(path.join(out, "summary.md"), "utf8");
    expect(summary).toMatch(/- dev: meets the SLO[\s\S]*- c7i: meets the SLO/);
    // Not priced: this machine stands for no instance type unless told.
    expect(summary).toContain("> No cost for dev, c7i: a local run does not know which instance type this machine stands for: run `fleet local` with --as");
    expect(existsSync(path.join(out, "report.html"))).toBe(true);
    const order = lines.filter((line) => /stopping servers|load test:/.test(line));
    expect(order).toEqual([
      expect.stringMatching(/^\[dev\] load test/),
      "[dev] stopping servers ...",
      expect.stringMatching(/^\[c7i\] load test/),
      "[c7i] stopping servers ...",
    ]);
  });

  it("on interrupt stops the load test, stops the servers and writes the partial results", { timeout: 30_000 }, async () => {
    vi.stubEnv("FLEET_LOAD_TEST_DURATION", "30s");
    // Stopped 0.5 s in: with the default 5 s warm-up nothing would be counted yet.
    vi.stubEnv("FLEET_LOAD_TEST_WARMUP", "0s");
    const interrupt = new AbortController();
    const lines: string[] = [];
    const out = path.join(work, "out");
    const log = (line: string) => {
      lines.push(line);
      if (line.includes("load test:")) setTimeout(() => interrupt.abort(), 500);
    };
    expect(await localMain({ stack: "dev", out }, { launch: standIn, log, interrupt: interrupt.signal })).toBe(130);
    expect(lines).toContain("[dev] stopping servers ...");
    const result = parseResult(JSON.parse(readFileSync(path.join(out, "results.json"), "utf8")), "results.json");
    expect(result.requests).toBeGreaterThan(0);
    expect(result.durationSeconds).toBeLessThan(10);
    const summary = readFileSync(path.join(out, "summary.md"), "utf8");
    expect(summary).toMatch(/- dev: no verdict on the SLO \(.*\(interrupted by Ctrl-C: partial results\)/);
    expect(summary.split("\n")[2]).toMatch(/^\*\*Verdict: No verdict: dev: interrupted after [\d.]+ s of measurement: partial results, no verdict\.\*\*$/);
    expect(result.interrupted).toBe(true);
    expect(readFileSync(path.join(out, "report.html"), "utf8")).toContain('<p class="incomplete">Interrupted after');
  });

  it("--capacity searches the rate up to a server's known capacity within the budget", { timeout: 60_000 }, async () => {
    // One request at a time, 5 ms each: 200 req/s, past which the queue (and the latency) grows without bound.
    const serial = (env: Record<string, string>): ServerLaunch => ({
      ...standIn(env),
      args: [
        "-e",
        `let busyUntil = 0; require("node:http").createServer((q, s) => { const now = Date.now(); busyUntil = Math.max(now, busyUntil) + 5; ` +
          `setTimeout(() => s.end('{"detail":"x"}'), busyUntil - now); }).listen(Number(process.env.PORT), process.env.HOST); ` +
          `process.on("SIGTERM", () => process.exit(0));`,
      ],
    });
    // Steps of 0.5 s warm-up + 3 windows of 1 s from 50 req/s, then a 2 s confirmation.
    vi.stubEnv("FLEET_LOAD_TEST_CAPACITY_WINDOW_SECONDS", "1");
    vi.stubEnv("FLEET_LOAD_TEST_CAPACITY_WARMUP_SECONDS", "0.5");
    vi.stubEnv("FLEET_LOAD_TEST_CAPACITY_START_RATE", "50");
    vi.stubEnv("FLEET_LOAD_TEST_CAPACITY_CONFIRM_SECONDS", "2");
    const lines: string[] = [];
    const out = path.join(work, "out");
    const options = { stack: "dev", capacity: true, budget: "20s", precision: "0.1", out, as: "c7i.large" };
    expect(await localMain(options, { launch: serial, log: (line) => lines.push(line) })).toBe(0);
    expect(lines.find((line) => line.includes("step 1:"))).toMatch(
      /^\[dev\] step 1: 50 req\/s offered, windows [\d/]+ achieved, p90 [\d.]+ ms -> holds, 3 windows agree$/,
    );
    expect(lines.join("\n")).toMatch(
      /confirming \d+ req\/s: holding it for 2 s[\s\S]*\[dev\] capacity: \d+ req\/s, windows \d+-\d+ at p90 <= 100 ms \(confirmed over 2 s/,
    );
    const result = parseResult(JSON.parse(readFileSync(path.join(out, "results.json"), "utf8")), "results.json");
    expect(result.capacity!.capacityAtSlo).toBeGreaterThanOrEqual(90);
    expect(result.capacity!.capacityAtSlo).toBeLessThanOrEqual(215);
    // 1 s windows disagree more often than the default 3 s ones, so how many steps fit varies.
    expect(result.capacity!.steps.length).toBeGreaterThanOrEqual(2);
    expect(result.capacity!.steps[0]!.windows).toHaveLength(3);
    // The search keeps to its budget: no step starts that would end past 20 s, and each lasts at least its 0.5 s
    // warm-up and 3 windows of 1 s. Then at most 5 holds (confirmAttempts).
    expect(result.capacity!.steps.length).toBeLessThanOrEqual(Math.floor(20 / 3.5));
    expect(result.capacity!.confirmations!.length).toBeLessThanOrEqual(5);
    // The answer is the highest hold that kept the SLO (a refining hold after it may have broken).
    expect(confirmedHold(result.capacity!.confirmations!, result.capacity!.slo)?.offeredRate).toBe(result.capacity!.capacityAtSlo);
    expect(result.capacity!.slo).toEqual({ percentile: 90, latencyMs: 100, maxErrorRate: 0.01 });
    const summary = readFileSync(path.join(out, "summary.md"), "utf8");
    const capacity = result.capacity!.capacityAtSlo;
    const usd = ((0.08925 * 1e6) / (capacity * 3600)).toFixed(4);
    // The answer first, priced as the declared instance type at the capacity; the same answer in report.html.
    const headline = `1 x c7i.large (dev) serves ${capacity} req/s at p90 <= 100 ms for $65.15/month ($${usd} per million inferences)`;
    expect(summary.split("\n")[2]).toBe(`**Verdict: ${headline}**`);
    expect(readFileSync(path.join(out, "report.html"), "utf8")).toContain(`<p class="headline">${headline.replace("<", "&lt;")}</p>`);
    expect(summary).toContain(`**dev**: capacity ${capacity} req/s at p90 <= 100 ms, at most 1% errors`);
    expect(summary).toContain("Cost: this machine priced as c7i.large ($0.08925/h on-demand, us-east-1).");
    expect(result.labels).toMatchObject({ stack: "dev", where: "local", servers: "1", instanceType: "c7i.large", slo: "p90<=100ms errors<=1%" });
  });

  it.each([
    ["too slow", 'setTimeout(() => s.end(\'{"detail":"x"}\'), 150)', /misses its SLO \(p90 <= 100 ms, at most 1% errors\): p90 was \d+\.\d ms, over 100 ms\.$/],
    // Ready, but every prediction is a 503.
    [
      "over its error budget",
      "s.writeHead(q.url.startsWith('/predictions/') ? 503 : 200).end('{\"error\":\"busy\"}')",
      /errors were 100\.00% of \d+ requests \(\d+ http_503\), over the 1\.00% budget\.$/,
    ],
    ["answering with a body that is not the route's answer", "s.end('<html>')", /\(\d+ bad_body\)/],
  ])("exits 1 when the load test misses the stack's SLO (%s), with the reason in the last line", { timeout: 30_000 }, async (_, answer, reason) => {
    const launch = (env: Record<string, string>): ServerLaunch => ({
      ...standIn(env),
      args: [
        "-e",
        `require("node:http").createServer((q, s) => ${answer}).listen(Number(process.env.PORT), process.env.HOST); ` +
          `process.on("SIGTERM", () => process.exit(0));`,
      ],
    });
    vi.stubEnv("FLEET_LOAD_TEST_WARMUP", "0s");
    const lines: string[] = [];
    expect(await localMain({ stack: "dev", out: path.join(work, "out") }, { launch, log: (line) => lines.push(line) })).toBe(1);
    expect(lines.at(-1)).toMatch(/^\nFAILED: \[dev\] misses its SLO/);
    expect(lines.at(-1)).toMatch(reason);
  });

  it.each([
    [{ stack: "dev", compare: "dev,c7i" }, /not both/],
    [{}, /Give --stack NAME/],
    [{ compare: "dev" }, /at least two stacks/],
    [{ compare: "dev,dev" }, /lists a stack twice/],
    [{ stack: "dev", generator: "wrk" }, /--generator must be one of auto, local, k6/],
    [{ stack: "dev", budget: "3m" }, /add --capacity/],
    [{ stack: "dev", capacity: true, budget: "15s" }, /leaves no room for a search/],
    [{ stack: "dev", capacity: true, budget: "soon" }, /--budget must be a duration/],
    [{ stack: "dev", capacity: true, precision: "5" }, /--precision must be a share/],
    [{ stack: "dev", capacity: true, generator: "k6" }, /built-in generator/],
    [{ stack: "dev", as: "c7i.larg" }, /--as: unknown instance type "c7i.larg". Did you mean "c7i.large"/],
    [{ stack: "dev", usdPerHour: "free" }, /--usd-per-hour must be a price in US dollars per hour per instance, e.g. 0.17, got "free"/],
  ])("rejects %o", async (options, message) => {
    await expect(localMain(options)).rejects.toThrow(UsageError);
    await expect(localMain(options)).rejects.toThrow(message);
  });
});
