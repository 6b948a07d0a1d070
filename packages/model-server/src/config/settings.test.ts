import { ConfigError } from "@inference-fleet/fleet-config";
import { describe, expect, it } from "vitest";
import { resolveServerSettings } from "./settings.js";

describe("resolveServerSettings", () => {
  it("has the fleet config's defaults", () => {
    const settings = resolveServerSettings();
    expect(settings).toMatchObject({
      port: 8080,
      numModels: 1,
      maxBatch: 4,
      maxQueueDelayMs: 0,
      padding: "dynamic",
      separateSessions: false,
      postprocess: true,
      quiet: false,
      executionProviders: ["cpu"],
    });
    // Left to the CPU budget at start-up (serverConcurrency).
    expect([settings.threads, settings.inferenceWorkers]).toEqual([undefined, undefined]);
  });

  it("reads the container's environment variables", () => {
    const settings = resolveServerSettings({
      env: {
        MODEL_SOURCE: "s3://bucket/models/tiny",
        NUM_MODELS: "16",
        PORT: "9000",
        THREADS: "2",
        MAX_BATCH: "8",
        MAX_QUEUE_DELAY_MS: "1.5",
        PADDING: "fixed",
        SEPARATE_SESSIONS: "true",
        POSTPROCESS: "0",
        QUIET: "yes",
        EXECUTION_PROVIDERS: "cuda, cpu",
        DRAIN_TIMEOUT_MS: "5000",
        METRICS_PORT: "9090",
        INFERENCE_WORKERS: "0",
      },
    });
    expect(settings).toMatchObject({
      modelSource: "s3://bucket/models/tiny",
      numModels: 16,
      port: 9000,
      threads: 2,
      maxBatch: 8,
      maxQueueDelayMs: 1.5,
      padding: "fixed",
      separateSessions: true,
      postprocess: false,
      quiet: true,
      executionProviders: ["cuda", "cpu"],
      drainTimeoutMs: 5000,
      metricsPort: 9090,
      inferenceWorkers: 0,
    });
  });

  it("lets flags win over the environment", () => {
    expect(resolveServerSettings({ env: { PORT: "9000", MODEL_DIR: "/a" }, flags: { port: "7000", modelSource: "/b" } })).toMatchObject({
      port: 7000,
      modelSource: "/b",
    });
  });

  it.each([
    [{ NUM_MODELS: "0" }, /numModels \(NUM_MODELS\).*got 0/],
    [{ PORT: "http" }, /port \(PORT\).*got "http"/],
    [{ PADDING: "sometimes" }, /padding \(PADDING\).*dynamic.*fixed.*got "sometimes"/],
    [{ QUIET: "maybe" }, /quiet \(QUIET\).*got "maybe"/],
    [{ MODEL_DIR: "ftp://host/model" }, /modelSource \(MODEL_DIR\).*s3:\/\/bucket\/prefix/],
    [{ EXECUTION_PROVIDERS: "tpu" }, /executionProviders \(EXECUTION_PROVIDERS\)/],
  ])("rejects %j naming the field, the value and what is allowed", (env, message) => {
    let error: unknown;
    try {
      resolveServerSettings({ env });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
  });
});
