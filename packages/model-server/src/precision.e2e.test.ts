import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateManyModels, generateModel } from "@inference-fleet/model-zoo";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveServerSettings, type SettingsFlags } from "./config/settings.js";
import { freePort } from "./process/free-port.js";
import { startServer, type RunningServer } from "./server.js";

// An int8 model (fleet model quantize / generate --precision int8) served for real: it loads, answers,
// and the Open Inference Protocol metadata says which precision each model is.

let root: string;
const servers: RunningServer[] = [];
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "model-server-precision-"));
  await Promise.all([
    generateModel({ size: "tiny", seed: 7, outDir: join(root, "fp32") }),
    generateModel({ size: "tiny", seed: 7, outDir: join(root, "int8"), precision: "int8" }),
    generateManyModels({ count: 1, size: "tiny", seedBase: 3, outDir: join(root, "repo"), precision: "int8" }),
  ]);
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.drain(1000)));
  await rm(root, { recursive: true, force: true });
});

async function start(flags: SettingsFlags): Promise<RunningServer> {
  const settings = resolveServerSettings({ flags: { port: await freePort(), host: "127.0.0.1", quiet: true, ...flags } });
  const server = await startServer(settings, pino({ level: "silent" }), () => {});
  servers.push(server);
  return server;
}

async function precisionOf(server: RunningServer, model: string): Promise<unknown> {
  const response = await fetch(`${server.url}/v2/models/${model}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { parameters: Record<string, unknown> }).parameters["precision"];
}

async function answer(server: RunningServer, model: string): Promise<string> {
  const response = await fetch(`${server.url}/predictions/${model}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { detail: string }).detail;
}

describe("serving int8 models", { timeout: 60_000 }, () => {
  it("reports int8 for a quantized model dir and fp32 for a float one, and both answer", async () => {
    const int8 = await start({ modelSource: join(root, "int8"), inferenceWorkers: 1 });
    const fp32 = await start({ modelSource: join(root, "fp32"), inferenceWorkers: 0 });
    expect(await precisionOf(int8, "model0")).toBe("int8");
    expect(await precisionOf(fp32, "model0")).toBe("fp32");
    expect(typeof (await answer(int8, "model0"))).toBe("string");
    expect(typeof (await answer(fp32, "model0"))).toBe("string");
  });

  it("in repository mode, loads an int8 model (through the ORT-format cache) and reports int8 once loaded", async () => {
    const server = await start({ modelRepo: join(root, "repo"), inferenceWorkers: 0 });
    expect(await precisionOf(server, "model0")).toBeUndefined();
    await answer(server, "model0");
    expect(await precisionOf(server, "model0")).toBe("int8");
  });
});
