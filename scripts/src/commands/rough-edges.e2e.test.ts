// The messages users meet first: each says what went wrong and what to do (real processes and ports).
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseResult, startDelayServer } from "@inference-fleet/load-test";
import { freePort } from "@inference-fleet/model-server";
import { generateModel } from "@inference-fleet/model-zoo";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../cli.js";
import { captureConsole } from "../testing/capture-console.js";

let work: string;
let modelDir: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "fleet-rough-edges-"));
  ({ dir: modelDir } = await generateModel({ size: "tiny", seed: 7, outDir: join(work, "tiny") }));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});
afterEach(() => vi.restoreAllMocks());

function capture() {
  const { outLines, errLines } = captureConsole();
  return { out: outLines, err: errLines };
}

describe("fleet load", () => {
  it("runs a ramp from --ramp-from to --ramp-to over --duration and keeps its 10 slowest requests by trace id", async () => {
    const target = await startDelayServer({ delayMs: 2 });
    capture();
    const out = join(work, "ramp.json");
    try {
      const args = ["load", "--target", target.url, "--mode", "ramp", "--ramp-from", "20", "--ramp-to", "60", "--duration", "2s", "--warmup", "0s"];
      expect(await main([...args, "--out", out])).toBe(0);
    } finally {
      await target.close();
    }
    const result = parseResult(JSON.parse(await readFile(out, "utf8")));
    expect(result.mode).toBe("ramp");
    // 20 x 2 + 40 x 2 / 2 requests come due in 2 s.
    expect(result.requests).toBe(80);
    expect(result.slowest).toHaveLength(10);
  });

  it("refuses --mode ramp without its rates, saying which", async () => {
    const { err } = capture();
    expect(await main(["load", "--target", "http://127.0.0.1:9", "--mode", "ramp", "--duration", "2s", "--out", join(work, "x.json")])).not.toBe(0);
    expect(err.join("\n")).toMatch(/Mode ramp needs the rates it rises from and to/);
  });

  it("exits 1 when every request failed, and says to start a server or fix --target", async () => {
    const port = await freePort();
    const { err } = capture();
    const code = await main(["load", "--target", `http://127.0.0.1:${port}`, "--max-requests", "5", "--out", join(work, "none.json")]);
    expect(code).toBe(1);
    const text = err.join("\n");
    expect(text).toContain(`Every one of the 5 requests failed (5 connection). Is a model server listening at http://127.0.0.1:${port}?`);
    expect(text).toContain("Start one with `npx fleet serve`, or fix --target.");
  });

  it.each([
    [
      "its latency SLO",
      { delayMs: 30 },
      ["--slo", "p90<=10ms"],
      /^fleet load: FAILED: misses its SLO \(p90 <= 10 ms, at most 1% errors\): p90 was \d+\.\d ms, over 10 ms\.$/,
    ],
    [
      "its error budget",
      { behaviour: (n: number) => (n % 4 === 0 ? ("truncated" as const) : ("ok" as const)) },
      [],
      /^fleet load: FAILED: misses its SLO \(p90 <= 100 ms, at most 1% errors\): errors were 25\.00% of 40 requests \(10 truncated_body\), over the 1\.00% budget\.$/,
    ],
  ])("exits 1 when the run misses %s, with the reason in the last line", async (_, server, flags, reason) => {
    const target = await startDelayServer(server);
    const { out, err } = capture();
    try {
      const args = ["load", "--target", target.url, "--mode", "seq", "--max-requests", "40", "--warmup", "0s", "--out", join(work, "slo.json"), ...flags];
      expect(await main(args)).toBe(1);
    } finally {
      await target.close();
    }
    expect(err.at(-1)).toMatch(reason);
    expect(out.join("\n")).not.toContain("meets its SLO");
  });

  it("accepts --warmup 0s and exits 0 when the run meets its SLO", async () => {
    const target = await startDelayServer({ delayMs: 1 });
    const { out } = capture();
    try {
      const args = ["load", "--target", target.url, "--duration", "1s", "--warmup", "0s", "--out", join(work, "ok.json")];
      expect(await main(args)).toBe(0);
    } finally {
      await target.close();
    }
    expect(out.at(-1)).toBe("fleet load: meets its SLO (p90<=100ms errors<=1%).");
  });
});

describe("fleet serve", () => {
  it("on a busy port says so and names --port, without a stack trace", async () => {
    const busy = createServer();
    const port = await new Promise<number>((resolve) => busy.listen(0, "127.0.0.1", () => resolve((busy.address() as { port: number }).port)));
    const { err } = capture();
    try {
      const code = await main(["serve", "--port", String(port), "--host", "127.0.0.1", "--model-dir", modelDir, "--quiet"]);
      expect(code).toBe(1);
    } finally {
      busy.close();
    }
    const text = err.join("\n");
    expect(text).toContain(`Port ${port} on 127.0.0.1 is already in use by another process: stop that process, or choose another port with --port (PORT).`);
    expect(text).not.toMatch(/\n\s+at /);
  });

  it("names --model-dir, the option the user typed, in errors about it", async () => {
    const { err } = capture();
    expect(await main(["serve", "--model-dir", join(work, "nowhere"), "--port", String(await freePort()), "--quiet"])).toBe(1);
    expect(err.join("\n")).toMatch(/is missing\. Point --model-dir \(MODEL_DIR\) at a directory with model\.onnx and tokenizer\.json/);
    capture();
    expect(await main(["serve", "--model-dir", modelDir, "--num-models", "lots"])).toBe(1);
    expect((console.error as unknown as { mock: { calls: unknown[][] } }).mock.calls.flat().join("\n")).toMatch(/--num-models \(numModels\): .*"lots"/);
  });

  it("says which model it serves when no --model-dir is given, and --help shows that default", async () => {
    const { out } = capture();
    await main(["serve", "--help"]);
    expect(out.join("\n")).toContain("(default models/bert-qa-tiny, from npx fleet model generate)");
    const saved = { MODEL_DIR: process.env["MODEL_DIR"], MODEL_SOURCE: process.env["MODEL_SOURCE"], MODEL_REPO: process.env["MODEL_REPO"] };
    for (const key of Object.keys(saved)) delete process.env[key];
    const { err } = capture();
    const cwd = process.cwd();
    // From an empty directory the default dir does not exist: the notice comes first, then the error naming it.
    process.chdir(work);
    try {
      expect(await main(["serve", "--port", String(await freePort()), "--quiet"])).toBe(1);
    } finally {
      process.chdir(cwd);
      for (const [key, value] of Object.entries(saved)) if (value !== undefined) process.env[key] = value;
    }
    expect(err[0]).toBe("fleet serve: no --model-dir (MODEL_DIR) given: serving models/bert-qa-tiny (the default).");
  });
});
