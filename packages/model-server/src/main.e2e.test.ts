import { Agent, request } from "node:http";
import { cp, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnServerProcess, type ServerProcess } from "./process/server-process.js";
import { residentBytes } from "./testing/resident-bytes.js";
import { generateTinyModel } from "./testing/tiny-model.js";

// The real process entry, started as the container starts it: environment variables only.
let model: Awaited<ReturnType<typeof generateTinyModel>>;
const started: ServerProcess[] = [];
const start = async (env: Record<string, string>) => {
  const server = await spawnServerProcess(env);
  started.push(server);
  return server;
};

beforeAll(async () => {
  model = await generateTinyModel();
});
afterAll(async () => {
  for (const server of started) server.kill("SIGKILL");
  await model?.cleanup();
});

describe("the server process", { timeout: 30_000 }, () => {
  it("exits non-zero naming the file when the model is missing or corrupt", async () => {
    const corrupt = join(model.root, "corrupt");
    await cp(model.dir, corrupt, { recursive: true });
    await writeFile(join(corrupt, "model.onnx"), "this is not an ONNX model");
    const [missing, broken] = await Promise.all([start({ MODEL_DIR: join(model.root, "nowhere") }), start({ MODEL_DIR: corrupt })]);
    const [missingExit, brokenExit] = await Promise.all([missing.exited, broken.exited]);
    expect(missingExit.code).toBe(1);
    expect(missing.output()).toContain(join(model.root, "nowhere", "model.onnx"));
    expect(brokenExit.code).toBe(1);
    expect(broken.output()).toContain(`could not load the model file ${join(corrupt, "model.onnx")}`);
  });

  it("exits non-zero naming the setting when a setting is bad", async () => {
    const server = await start({ MODEL_DIR: model.dir, NUM_MODELS: "lots" });
    const { code } = await server.exited;
    expect(code).toBe(1);
    expect(server.output()).toMatch(/numModels \(NUM_MODELS\).*"lots"/);
  });

  it("on SIGTERM stops being ready at once, finishes the request in flight and exits 0", async () => {
    const server = await start({ MODEL_DIR: model.dir, DRAIN_TIMEOUT_MS: "10000" });
    await server.waitReady(30_000);
    const body = JSON.stringify({ seq_0: "Who is pulled up the mountain?" });
    const inFlight = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        `${server.url}/predictions/model0`,
        { method: "POST", headers: { "content-type": "application/json", "content-length": body.length } },
        (res) => {
          let text = "";
          res.on("data", (chunk: Buffer) => (text += chunk.toString()));
          res.on("end", () => resolve({ status: res.statusCode!, text }));
        },
      );
      req.on("error", reject);
      // Half the body now, the rest after SIGTERM: the request is in flight while the server drains.
      req.write(body.slice(0, 10));
      setTimeout(() => {
        server.kill("SIGTERM");
        setTimeout(async () => {
          const ready = await fetch(`${server.url}/v2/health/ready`).then(
            (r) => r.status,
            () => "refused",
          );
          expect(ready === 503 || ready === "refused").toBe(true);
          req.end(body.slice(10));
        }, 300);
      }, 200);
    });
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toHaveProperty("detail");
    expect((await server.exited).code).toBe(0);
  });

  it("shares one session among 16 copies: less than 1.2x the memory of one copy", async () => {
    const [one, sixteen] = await Promise.all([start({ MODEL_DIR: model.dir, NUM_MODELS: "1" }), start({ MODEL_DIR: model.dir, NUM_MODELS: "16" })]);
    await Promise.all([one.waitReady(30_000), sixteen.waitReady(30_000)]);
    for (let i = 0; i < 16; i++) expect((await fetch(`${sixteen.url}/predictions/model${i}`)).status).toBe(200);
    expect((await fetch(`${one.url}/predictions/model0`)).status).toBe(200);
    const ratio = (await residentBytes(sixteen)) / (await residentBytes(one));
    expect(ratio).toBeLessThan(1.2);
    one.kill("SIGTERM");
    sixteen.kill("SIGTERM");
  });

  it("answers 503 with Retry-After under overload, keeps its memory bounded and recovers", async () => {
    const server = await start({ MODEL_DIR: model.dir, MAX_QUEUE: "2", PADDING: "fixed" });
    await server.waitReady(30_000);
    const before = await residentBytes(server);
    const agent = new Agent({ keepAlive: true, maxSockets: 200 });
    const body = JSON.stringify({ seq_1: "word ".repeat(3000) });
    const send = () =>
      new Promise<{ status: number; retryAfter: string | undefined }>((resolve, reject) => {
        const req = request(
          `${server.url}/predictions/model0`,
          { method: "POST", agent, headers: { "content-type": "application/json", "content-length": body.length } },
          (res) => {
            res.resume();
            res.on("end", () => resolve({ status: res.statusCode!, retryAfter: res.headers["retry-after"] }));
          },
        );
        req.on("error", reject);
        req.end(body);
      });
    const results = await Promise.all(Array.from({ length: 300 }, send));
    agent.destroy();
    const refused = results.filter((r) => r.status === 503);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((r) => Number(r.retryAfter) >= 1)).toBe(true);
    expect(results.every((r) => r.status === 200 || r.status === 503)).toBe(true);
    expect((await residentBytes(server)) - before).toBeLessThan(150 * 2 ** 20);
    expect((await fetch(`${server.url}/predictions/model0`)).status).toBe(200);
    server.kill("SIGTERM");
  });
});
