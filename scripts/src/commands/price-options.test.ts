// --as and --usd-per-hour on `fleet report` and `fleet merge`: the files are priced as told, and a misspelled type is refused.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseResult, ResultRecorder, writeResultFile } from "@inference-fleet/load-test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../cli.js";
import { captureConsole } from "../testing/capture-console.js";

let work: string;
let file: string;
beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), "price-options-"));
  const start = Date.UTC(2025, 5, 1);
  const recorder = new ResultRecorder(start);
  for (let i = 0; i < 1000; i++) recorder.recordResponse(5, 200, start + i * 10);
  file = path.join(work, "local.json");
  const labels = { stack: "dev", where: "local", slo: "p90<=100ms" };
  await writeResultFile(file, recorder.finish({ generator: "local", mode: "bmk", targets: [], models: ["model0"], labels }, start + 10_000));
});
afterEach(() => vi.restoreAllMocks());

describe("pricing options", () => {
  it("fleet report --as prices every file as that instance type, and says so", async () => {
    captureConsole();
    const out = path.join(work, "report");
    expect(await main(["report", file, "--as", "c7i.large", "--out", out])).toBe(0);
    const markdown = readFileSync(path.join(out, "report.md"), "utf8");
    // 100 req/s on a $0.08925/h machine: $65.15 a month, $0.2479 per million.
    expect(markdown).toContain(
      "**Verdict: 1 x c7i.large (dev) serves 100 req/s at p90 <= 100 ms for $65.15/month ($0.2479 per million inferences) " +
        "(measured at the configured load, not a capacity: p90 5",
    );
    expect(readFileSync(path.join(out, "report.html"), "utf8")).toContain("Cost: this machine priced as c7i.large ($0.08925/h on-demand, us-east-1).");
  });

  it("fleet report without a price says why there is no cost and how to get one", async () => {
    const console = captureConsole();
    expect(await main(["report", file, "--out", path.join(work, "unpriced")])).toBe(0);
    expect(console.out()).toContain("No cost for dev: a local run does not know which instance type this machine stands for: run `fleet local` with --as");
  });

  it("fleet merge --usd-per-hour labels the merged result with the price", async () => {
    captureConsole();
    const out = path.join(work, "merged.json");
    expect(await main(["merge", file, "--usd-per-hour", "0.36", "--out", out])).toBe(0);
    expect(parseResult(JSON.parse(readFileSync(out, "utf8"))).labels).toMatchObject({ usdPerHour: "0.36", stack: "dev" });
  });

  it.each([
    [["--as", "c7i.larg"], /--as: unknown instance type "c7i.larg". Did you mean "c7i.large", /],
    [["--usd-per-hour", "0"], /--usd-per-hour must be a price in US dollars per hour per instance/],
  ])("refuses %j with a clear message", async (args, message) => {
    const console = captureConsole();
    expect(await main(["report", file, ...args, "--out", path.join(work, "refused")])).toBe(2);
    expect(console.err()).toMatch(message);
  });
});
