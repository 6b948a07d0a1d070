// The hub import against a loopback "hub" that accepts connections and never answers: real sockets, the real
// @huggingface/hub client.
import { mkdtemp } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FakeHub, tinyCasedMultilingualQaCheckpoint } from "../testing/index.js";
import { HubImportError } from "./hub-errors.js";
import { hubSettingsFromEnv } from "./hub-settings.js";
import { importFromHub } from "./import-from-hub.js";

const accepted: Socket[] = [];
const silent = createServer((socket) => void accepted.push(socket));
afterAll(() => {
  accepted.forEach((socket) => socket.destroy());
  silent.close();
});

describe("hub requests have deadlines", { timeout: 30_000 }, () => {
  it("fails within MODEL_FETCH_CONNECT_TIMEOUT_MS when the hub accepts and never answers, naming the URL and the time waited", async () => {
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const hubUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    const settings = hubSettingsFromEnv({ HF_ENDPOINT: hubUrl, HF_HOME: await mkdtemp(join(tmpdir(), "hub-home-")), MODEL_FETCH_CONNECT_TIMEOUT_MS: "1500" });
    const lines: string[] = [];
    const error = await importFromHub({ repo: "test-org/hangs", revision: "main", settings, log: (line) => lines.push(line) }).then(
      () => new Error("it did not fail"),
      (caught: unknown) => caught as Error,
    );
    expect(error).toBeInstanceOf(HubImportError);
    const url = `${hubUrl}/api/models/test-org/hangs/revision/main`;
    expect(error.message).toMatch(new RegExp(`^${url}\\S* did not answer within \\d+\\.\\d s \\(MODEL_FETCH_CONNECT_TIMEOUT_MS=1500\\)`));
    expect(lines.some((line) => /still waiting for http:\/\/127\.0\.0\.1:\d+\/api\/models\/test-org\/hangs\S* to answer: \d+\.\d s so far/.test(line))).toBe(
      true,
    );
    // Our deadline ended it (the error above names it), not Node's own default of minutes, which would outlast the test.
    expect(accepted.length).toBeGreaterThan(0);
  });

  it("falls back to the commit a branch had last time when the hub does not answer in time, and says so", async () => {
    const home = await mkdtemp(join(tmpdir(), "hub-home-"));
    const hub = await FakeHub.start();
    const commit = hub.addCommit("test-org/hanging-later", tinyCasedMultilingualQaCheckpoint());
    await importFromHub({ repo: "test-org/hanging-later", revision: "main", settings: hubSettingsFromEnv({ HF_ENDPOINT: hub.url, HF_HOME: home }) });
    await hub.close();
    if (!silent.listening) await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const hubUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    const settings = hubSettingsFromEnv({ HF_ENDPOINT: hubUrl, HF_HOME: home, MODEL_FETCH_CONNECT_TIMEOUT_MS: "1000" });
    const lines: string[] = [];
    const again = await importFromHub({ repo: "test-org/hanging-later", revision: "main", settings, log: (line) => lines.push(line) });
    expect(again).toMatchObject({ commit, cached: true });
    expect(lines.join("\n")).toMatch(new RegExp(`cannot reach ${hubUrl} \\(.*did not answer within 1\\.\\d s.*\\); using commit ${commit}`));
  });

  it("reads the timeouts from the environment and refuses a value that is not a number of milliseconds", () => {
    expect(hubSettingsFromEnv({}).fetchTimeouts).toEqual({ connectTimeoutMs: 10_000, readTimeoutMs: 30_000 });
    expect(hubSettingsFromEnv({ MODEL_FETCH_READ_TIMEOUT_MS: "5000" }).fetchTimeouts?.readTimeoutMs).toBe(5000);
    expect(() => hubSettingsFromEnv({ MODEL_FETCH_CONNECT_TIMEOUT_MS: "10s" })).toThrow(
      /MODEL_FETCH_CONNECT_TIMEOUT_MS must be a whole number of milliseconds, at least 100; got "10s"/,
    );
  });
});
