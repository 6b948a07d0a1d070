import { parseFleetConfig, type FleetConfigInput } from "@inference-fleet/fleet-config";
import { describe, expect, it } from "vitest";
import { drainTimeoutMs, fleetServerEnvironment, type ServerPlacement } from "./fleet-environment.js";
import { resolveServerSettings } from "./settings.js";

// What infra passes for a pod, and what fleet local passes for a loopback server.
const pod = (config: ReturnType<typeof parseFleetConfig>, modelSource: string, index = 0): ServerPlacement => ({
  modelSource,
  index,
  port: config.server.port,
  host: "0.0.0.0",
  metricsPort: 9090,
  metricsHost: "0.0.0.0",
  cacheDir: "/cache",
});
const loopback = (modelSource: string, port: number, index = 0): ServerPlacement => ({ modelSource, index, port, host: "127.0.0.1" });

const cpuStack = parseFleetConfig({ instanceType: "c7i.xlarge", server: { numModels: 2, requestTimeoutMs: 5000 } });

describe("fleetServerEnvironment", () => {
  it("passes a probe listener when the placement has one", () => {
    const env = fleetServerEnvironment(cpuStack, { ...pod(cpuStack, "/models/bert-qa"), healthPort: 8081 });
    expect(env["HEALTH_PORT"]).toBe("8081");
    expect(resolveServerSettings({ env }).healthPort).toBe(8081);
    expect(fleetServerEnvironment(cpuStack, pod(cpuStack, "/models/bert-qa"))).not.toHaveProperty("HEALTH_PORT");
  });

  it("maps a cpu stack's pod to every setting the server reads, and nothing it would derive itself", () => {
    expect(fleetServerEnvironment(cpuStack, pod(cpuStack, "s3://bucket/models/bert-qa"))).toEqual({
      MODEL_DIR: "s3://bucket/models/bert-qa",
      NUM_MODELS: "2",
      MAX_BATCH: "4",
      MAX_QUEUE_DELAY_MS: "0",
      MAX_QUEUE: "256",
      REQUEST_TIMEOUT_MS: "5000",
      MAX_SEQ_LENGTH: "128",
      PADDING: "dynamic",
      SEPARATE_SESSIONS: "false",
      POSTPROCESS: "true",
      EXECUTION_PROVIDERS: "cpu",
      QUIET: "true",
      DRAIN_TIMEOUT_MS: "6000",
      PORT: "8080",
      HOST: "0.0.0.0",
      METRICS_PORT: "9090",
      METRICS_HOST: "0.0.0.0",
      CACHE_DIR: "/cache",
    });
  });

  it("maps the same stack on loopback to the same settings with only the placement changed", () => {
    const local = fleetServerEnvironment(cpuStack, loopback("/repo/models/bert-qa-tiny", 41234));
    const inPod = fleetServerEnvironment(cpuStack, pod(cpuStack, "/repo/models/bert-qa-tiny"));
    const placementKeys = ["PORT", "HOST", "METRICS_PORT", "METRICS_HOST", "CACHE_DIR"];
    const without = (env: Record<string, string>) => Object.fromEntries(Object.entries(env).filter(([key]) => !placementKeys.includes(key)));
    expect(without(local)).toEqual(without(inPod));
    expect(local).toMatchObject({ PORT: "41234", HOST: "127.0.0.1" });
    expect(Object.keys(local)).not.toContain("METRICS_PORT");
    expect(Object.keys(local)).not.toContain("CACHE_DIR");
  });

  describe.each<[string, FleetConfigInput, Record<string, string>, string[]]>([
    ["a gpu stack asks for cuda, cpu behind it", { instanceType: "g5.xlarge" }, { EXECUTION_PROVIDERS: "cuda,cpu" }, []],
    ["an inf stack asks the Neuron server for neuron", { instanceType: "inf2.xlarge" }, { EXECUTION_PROVIDERS: "neuron" }, []],
    ["an explicit cpu processor on a gpu instance stays cpu", { instanceType: "g5.xlarge", server: { processor: "cpu" } }, { EXECUTION_PROVIDERS: "cpu" }, []],
    ["threads and workers unset are left to the server's CPU budget", {}, {}, ["THREADS", "INFERENCE_WORKERS"]],
    ["threads and workers set are passed", { server: { threads: 3, inferenceWorkers: 0 } }, { THREADS: "3", INFERENCE_WORKERS: "0" }, []],
    [
      "separate sessions, fixed padding, a shorter sequence, no postprocessing",
      {
        model: { maxSeqLength: 64, padding: "fixed" },
        server: { separateSessions: true, postprocess: false, maxBatch: 8, maxQueueDelayMs: 1.5, maxQueue: 32 },
      },
      { MAX_SEQ_LENGTH: "64", PADDING: "fixed", SEPARATE_SESSIONS: "true", POSTPROCESS: "false", MAX_BATCH: "8", MAX_QUEUE_DELAY_MS: "1.5", MAX_QUEUE: "32" },
      [],
    ],
    [
      "repository mode serves server 2's shard of the repository",
      { server: { numServers: 3 }, model: { repository: { count: 500, maxResidentMb: 985 } } },
      { MODEL_REPO: "s3://bucket/repo", MAX_RESIDENT_MB: "985", SERVER_INDEX: "2", NUM_SERVERS: "3" },
      ["MODEL_DIR", "NUM_MODELS"],
    ],
  ])("%s", (_case, input, expected, absent) => {
    const config = parseFleetConfig(input);
    const env = fleetServerEnvironment(config, pod(config, "s3://bucket/repo", 2));

    it("sets what the config says", () => {
      expect(env).toMatchObject(expected);
      for (const key of absent) expect(env).not.toHaveProperty(key);
    });

    it("is read back by the server into the config's values", () => {
      if (config.server.processor === "inf") {
        // An inf stack's environment is the Neuron server's; the ONNX Runtime server refuses it by name.
        expect(() => resolveServerSettings({ env })).toThrow(/executionProviders \(EXECUTION_PROVIDERS\)/);
        return;
      }
      const settings = resolveServerSettings({ env });
      expect(settings).toMatchObject({
        maxBatch: config.server.maxBatch,
        maxQueueDelayMs: config.server.maxQueueDelayMs,
        maxQueue: config.server.maxQueue,
        requestTimeoutMs: config.server.requestTimeoutMs,
        maxSeqLength: config.model.maxSeqLength,
        padding: config.model.padding,
        separateSessions: config.server.separateSessions,
        postprocess: config.server.postprocess,
        drainTimeoutMs: drainTimeoutMs(config),
        quiet: true,
        host: "0.0.0.0",
        metricsPort: 9090,
        metricsHost: "0.0.0.0",
        cacheDir: "/cache",
      });
      // Unset in the config, unset for the server: it derives them from its own CPU budget.
      expect([settings.threads, settings.inferenceWorkers]).toEqual([config.server.threads, config.server.inferenceWorkers]);
      if (config.model.repository) {
        expect(settings).toMatchObject({ modelRepo: "s3://bucket/repo", maxResidentMb: config.model.repository.maxResidentMb, serverIndex: 2, numServers: 3 });
      } else expect(settings).toMatchObject({ modelSource: "s3://bucket/repo", numModels: config.server.numModels });
    });
  });
});

describe("drainTimeoutMs", () => {
  it.each([
    [10_000, 11_000],
    [100, 1100],
  ])("requestTimeoutMs %i -> %i ms", (requestTimeoutMs, drain) => {
    expect(drainTimeoutMs(parseFleetConfig({ server: { requestTimeoutMs } }))).toBe(drain);
  });
});
