import { copyFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateTinyRepository, repositoryApp } from "../../testing/model-repository.js";
import { LOAD_FAILED_REASON, ModelUnavailableError, SESSION_OVERHEAD_BYTES } from "./model-repository.js";
import { repositorySource } from "./repository-source.js";

let repo: Awaited<ReturnType<typeof generateTinyRepository>>;
const opened: Array<ReturnType<typeof repositoryApp>> = [];

beforeAll(async () => {
  repo = await generateTinyRepository(6);
});
afterAll(async () => {
  await Promise.all(opened.map((api) => api.repository.close()));
  await repo?.cleanup();
});

/** A repository app over the generated models; `budgetModels` of them fit at once. */
function open(budgetModels: number, overrides: Parameters<typeof repositoryApp>[1] = {}) {
  const api = repositoryApp(repo.root, { names: repo.names, maxResidentBytes: Math.floor((budgetModels + 0.5) * repo.modelBytes), ...overrides });
  opened.push(api);
  return api;
}

describe("lazy loading", () => {
  it("loads nothing at start and a model on its first request; later requests reuse it", async () => {
    const api = open(6);
    expect(api.repository.index().map((model) => model.state)).toEqual(new Array(6).fill("UNAVAILABLE"));
    expect(api.repository.residentCount).toBe(0);
    const first = await api.app.request("/predictions/model3");
    expect(first.status).toBe(200);
    expect(((await first.json()) as { detail: string }).detail).toEqual(expect.any(String));
    await api.app.request("/predictions/model3");
    expect(api.loads).toEqual(["model3"]);
    expect(api.repository.status("model3")).toEqual({ name: "model3", state: "READY", reason: "" });
    expect(api.repository.residentBytes).toBe(repo.modelBytes);
  });

  it("shares one tokenizer among models with the same tokenizer.json", async () => {
    const api = open(6);
    const [a, b] = await Promise.all([api.repository.get("model0"), api.repository.get("model2")]);
    expect(a!.tokenizer).toBe(b!.tokenizer);
    expect(a!.queue).not.toBe(b!.queue);
  });

  it("shares one load among 20 concurrent first requests (loads metric 1)", async () => {
    const api = open(6);
    const responses = await Promise.all(Array.from({ length: 20 }, () => api.app.request("/predictions/model1")));
    expect(responses.map((response) => response.status)).toEqual(new Array(20).fill(200));
    expect(api.loads).toEqual(["model1"]);
    const text = await api.metrics.text();
    expect(text).toMatch(/model_server_repository_loads_total\{result="success"\} 1\n/);
    // Every one of the 20 waited for the load: all cold, none warm yet.
    expect(text).toMatch(/model_server_repository_request_duration_seconds_count\{residency="cold"\} 20\n/);
    expect(responses.every((response) => response.headers.get("x-model-load") === "cold")).toBe(true);
    const warm = await api.app.request("/predictions/model1");
    expect(warm.headers.get("x-model-load")).toBeNull();
    expect(await api.metrics.text()).toMatch(/model_server_repository_request_duration_seconds_count\{residency="warm"\} 1\n/);
  });
});

describe("memory budget", () => {
  it("unloads the least recently used model first", async () => {
    const api = open(2);
    await api.repository.get("model0");
    await api.repository.get("model1");
    await api.repository.get("model0"); // model1 is now the least recently used
    await api.repository.get("model2");
    expect(api.evictions).toEqual(["model1"]);
    expect(api.repository.isResident("model0")).toBe(true);
    expect(api.repository.isResident("model2")).toBe(true);
    await api.repository.get("model3");
    expect(api.evictions).toEqual(["model1", "model0"]);
  });

  it("holds the bound while cycling more models than fit, answering every request", async () => {
    const api = open(2);
    const budget = Math.floor(2.5 * repo.modelBytes);
    for (let round = 0; round < 2; round++) {
      for (const name of repo.names) {
        const response = await api.app.request(`/predictions/${name}`);
        expect(response.status).toBe(200);
        expect(api.repository.residentBytes).toBeLessThanOrEqual(budget);
        expect(api.repository.residentCount).toBeLessThanOrEqual(2);
      }
    }
    expect(api.loads).toHaveLength(12);
    expect(api.evictions).toHaveLength(10);
    expect(await api.metrics.text()).toMatch(/model_server_repository_evictions_total 10\n/);
  });

  it("counts more per model when the measured RSS says sessions cost more than their files", async () => {
    // RSS as if each resident model cost twice its counted size: the overhead grows, and fewer models fit.
    let rss = 100e6;
    const api = open(4, { measureRssBytes: () => rss });
    for (const name of repo.names) {
      rss = 100e6 + 2 * repo.modelBytes * (api.repository.residentCount + 1);
      await api.repository.get(name);
    }
    expect(api.repository.perModelOverheadBytes).toBeGreaterThan(SESSION_OVERHEAD_BYTES);
    expect(api.repository.residentCount).toBeLessThan(4);
    expect(api.repository.residentBytes).toBeLessThanOrEqual(4.5 * repo.modelBytes);
  });

  it("keeps a model with requests in flight even when it is the least recently used", async () => {
    const api = open(1, { queue: { maxBatch: 1, maxQueueDelayMs: 0, maxQueue: 1000, requestTimeoutMs: 10_000 } });
    const model0 = (await api.repository.get("model0"))!;
    // Enough queued work to keep model0 busy for the whole of model1's load.
    const running = Promise.all(Array.from({ length: 600 }, () => model0.queue.submit({ ids: Int32Array.from([101, 2054, 102, 2023, 102]), contextStart: 3 })));
    await api.repository.get("model1"); // no idle model to unload: one over budget for now
    expect(api.repository.isResident("model0")).toBe(true);
    await running;
    await api.repository.get("model2");
    expect(api.evictions).toEqual(["model0", "model1"]);
  });
});

describe("failed loads", () => {
  it("answers 503 naming the model (the file only in the log), does not retry before the backoff, then loads once the file is fixed", async () => {
    const broken = join(repo.root, "model5", "model.onnx");
    await copyFile(broken, `${broken}.good`);
    await writeFile(broken, "not an onnx model");
    const api = open(6, { retryBackoffMs: 300 });
    const first = await api.app.request("/predictions/model5");
    expect(first.status).toBe(503);
    expect(first.headers.get("retry-after")).toBe("1");
    const { detail } = (await first.json()) as { detail: string };
    expect(detail).toContain("Model model5 could not be loaded");
    expect(detail).not.toContain(repo.root);
    expect(detail).toContain("server log");
    expect(api.repository.status("model5")).toMatchObject({ state: "UNAVAILABLE", reason: LOAD_FAILED_REASON });
    // Every route a client can reach about the broken model: no path, no ONNX Runtime or parser message.
    const reachable = [
      await api.app.request("/v2/models/model5/ready"),
      await api.app.request("/v2/repository/index", { method: "POST" }),
      await api.app.request("/v2/models/model5/infer", { method: "POST", headers: { "content-type": "application/json" }, body: '{"inputs":[]}' }),
    ];
    for (const response of reachable) {
      const text = await response.text();
      expect(text).not.toContain(repo.root);
      expect(text).not.toMatch(/model\.onnx|onnx ?runtime|protobuf|\/tmp\//i);
    }
    // Within the backoff: the same error without another attempt.
    await expect(api.repository.get("model5")).rejects.toBeInstanceOf(ModelUnavailableError);
    expect(api.failures).toEqual(["model5"]);
    await copyFile(`${broken}.good`, broken);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await api.app.request("/predictions/model5")).status).toBe(200);
    expect(api.failures).toEqual(["model5"]);
    expect(api.loads).toEqual(["model5"]);
  });
});

describe("v2 routes in repository mode", () => {
  it("reports readiness per model, metadata without loading, and the repository index", async () => {
    const api = open(6);
    const notLoaded = await api.app.request("/v2/models/model4/ready");
    expect(notLoaded.status).toBe(503);
    const metadata = await api.app.request("/v2/models/model4");
    expect(metadata.status).toBe(200);
    expect(((await metadata.json()) as { name: string }).name).toBe("model4");
    expect(api.loads).toEqual([]);
    await api.app.request("/v2/models/model4/infer", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        inputs: [
          { name: "seq_0", datatype: "BYTES", shape: [1], data: ["What?"] },
          { name: "seq_1", datatype: "BYTES", shape: [1], data: ["Nothing."] },
        ],
      }),
    });
    expect((await api.app.request("/v2/models/model4/ready")).status).toBe(200);
    const index = await api.app.request("/v2/repository/index", { method: "POST" });
    expect(index.status).toBe(200);
    const models = (await index.json()) as Array<{ name: string; state: string; reason: string }>;
    expect(models).toHaveLength(6);
    expect(models.find((model) => model.name === "model4")).toEqual({ name: "model4", state: "READY", reason: "" });
    expect(models.find((model) => model.name === "model0")).toMatchObject({ state: "UNAVAILABLE", reason: expect.stringContaining("first request") });
    const onlyReady = await api.app.request("/v2/repository/index", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"ready":true}',
    });
    expect(((await onlyReady.json()) as unknown[]).length).toBe(1);
  });

  it.each(["%2E%2E%2Fmodel0", "..%2Fmodel0", "model0%2F..%2Fmodel1", "model9", ".cache"])("answers 404 for %s and loads nothing", async (name) => {
    const api = open(6);
    const response = await api.app.request(`/predictions/${name}`);
    expect(response.status).toBe(404);
    expect(api.loads).toEqual([]);
  });
});

describe("repositorySource", () => {
  it("lists model subdirectories in natural order, skipping files and unsafe names", async () => {
    await writeFile(join(repo.root, "README.txt"), "not a model");
    expect(await repositorySource(repo.root, "/unused", () => {}).list()).toEqual(repo.names);
  });

  it("explains a missing repository and refuses https:// (it cannot be listed)", async () => {
    await expect(repositorySource(join(repo.root, "missing"), "/unused", () => {}).list()).rejects.toThrow(/cannot be read.*generate-many/);
    expect(() => repositorySource("https://example.com/models", "/unused", () => {})).toThrow(/cannot be listed/);
  });
});
