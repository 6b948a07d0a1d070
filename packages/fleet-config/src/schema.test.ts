import { describe, expect, it } from "vitest";
import { ConfigError, parseFleetConfig } from "./index.js";

function problemsOf(input: unknown): Array<{ path: string; value: unknown; message: string }> {
  try {
    parseFleetConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error("expected the config to be rejected");
}

describe("parseFleetConfig defaults", () => {
  it("fills every section from an empty object", () => {
    const config = parseFleetConfig({});
    expect(config.instanceType).toBe("c7i.xlarge");
    expect(config.model).toMatchObject({ padding: "dynamic", maxSeqLength: 128, generate: { size: "tiny", seed: 7 } });
    expect(config.server).toMatchObject({ processor: "cpu", cpuArch: "x86_64", numModels: 1, numServers: 1, maxBatch: 4, maxQueueDelayMs: 0 });
    expect(config.loadTest).toMatchObject({ mode: "bmk", duration: 30, slo: { percentile: "p90", thresholdMs: 100, maxErrorRate: 0.01 } });
  });

  it.each([
    ["c7g.4xlarge", "cpu", "arm64", 0, 0],
    ["g5.xlarge", "gpu", "x86_64", 1, 0],
    ["c8g.large", "cpu", "arm64", 0, 0],
  ])("derives processor and arch from %s", (instanceType, processor, cpuArch, gpus, neuronDevices) => {
    const config = parseFleetConfig({ instanceType });
    expect(config.server).toMatchObject({ processor, cpuArch, resources: { gpus, neuronDevices } });
  });

  it("fills the capacity search's settings and parses their durations", () => {
    expect(parseFleetConfig({ loadTest: { mode: "capacity" } }).loadTest).toMatchObject({
      mode: "capacity",
      capacity: {
        startRate: 100,
        precision: 0.05,
        stepSeconds: 8,
        warmupSeconds: 2,
        windowSeconds: 2,
        windows: 3,
        maxWindows: 6,
        stability: 0.1,
        confirmSeconds: 60,
        stepDown: 0.07,
        confirmAttempts: 5,
        confirmBudget: 150,
        budget: 80,
      },
    });
    const config = parseFleetConfig({
      loadTest: { capacity: { stepSeconds: "5s", warmupSeconds: "500ms", windowSeconds: "2s", confirmSeconds: "3m", budget: "3m", startRate: 200 } },
    });
    expect(config.loadTest.capacity).toMatchObject({ startRate: 200, stepSeconds: 5, warmupSeconds: 0.5, windowSeconds: 2, confirmSeconds: 180, budget: 180 });
    expect(problemsOf({ loadTest: { capacity: { windows: 4, maxWindows: 3 } } })[0]).toMatchObject({
      message: expect.stringMatching(/maxWindows must be at least windows/),
    });
    expect(problemsOf({ loadTest: { capacity: { stability: 0 } } })[0]).toMatchObject({ path: "loadTest.capacity.stability" });
    expect(problemsOf({ loadTest: { capacity: { precision: 1.5 } } })[0]).toMatchObject({ path: "loadTest.capacity.precision" });
    expect(problemsOf({ loadTest: { capacity: { budget: "0s" } } })[0]).toMatchObject({ path: "loadTest.capacity.budget" });
  });

  it("parses durations and the SLO shorthand", () => {
    const config = parseFleetConfig({ loadTest: { duration: "1m30s", requestTimeout: "500ms", slo: "p99 <= 250ms" } });
    expect(config.loadTest.duration).toBe(90);
    expect(config.loadTest.requestTimeout).toBe(0.5);
    expect(config.loadTest.slo).toEqual({ percentile: "p99", thresholdMs: 250, maxErrorRate: 0.01 });
  });
});

describe("model sources and tasks", () => {
  it.each(["hf://deepset/bert-base-cased-squad2", "hf://test-org/tiny.qa@main", `hf://org/name@${"a".repeat(40)}`, "models/x", "s3://b/p/", "https://h/m/"])(
    "accepts model.source %s",
    (source) => {
      expect(parseFleetConfig({ model: { source } }).model.source).toBe(source);
    },
  );

  it("accepts model.task text-classification", () => {
    expect(parseFleetConfig({ model: { task: "text-classification" } }).model.task).toBe("text-classification");
  });
});

describe("parseFleetConfig rejects bad values naming the field and the value", () => {
  it.each([
    [{ instanceType: "c9.huge" }, "instanceType", "c9.huge", /Known families: .*c7g \(large, xlarge, 2xlarge, 4xlarge/],
    [{ server: { numModels: 1.5 } }, "server.numModels", 1.5, /^must be a whole number$/],
    [{ observability: { logRetentionDays: 10 } }, "observability.logRetentionDays", 10, /CloudWatch's retention periods: 1, 3, 5, 7, 14/],
    [{ instanceType: "inf1.xlarge" }, "instanceType", "inf1.xlarge", /Inferentia 1, which needs torch-neuron .* use inf2\.xlarge/],
    [{ server: { numModels: 0 } }, "server.numModels", 0, />=1/],
    [{ server: { numModles: 2 } }, "server.numModles", 2, /not a known setting/],
    [{ model: { padding: "left" } }, "model.padding", "left", /dynamic|fixed/],
    [{ model: { source: "ftp://host/model" } }, "model.source", "ftp://host/model", /s3:\/\//],
    [{ model: { source: "hf://just-a-name" } }, "model.source", "hf://just-a-name", /hf:\/\/ORG\/NAME\[@REVISION\]/],
    [{ model: { task: "summarization" } }, "model.task", "summarization", /question-answering|text-classification/],
    [{ loadTest: { duration: "soon" } }, "loadTest.duration", "soon", /duration/],
    [{ loadTest: { mode: "burst" } }, "loadTest.mode", "burst", /seq/],
    [{ loadTest: { instanceType: "g5.xlarge" } }, "loadTest.instanceType", "g5.xlarge", /has accelerators; .*c7i\.2xlarge/],
    [{ server: { resources: { memory: "500m" } } }, "server.resources.memory", "500m", /memory quantity/],
    [{ server: { resources: { cpu: "2Gi" } } }, "server.resources.cpu", "2Gi", /CPU quantity/],
    [{ instanceType: "c7i.xlarge", server: { processor: "gpu" } }, "server.processor", "gpu", /NVIDIA/],
    [{ instanceType: "c7i.xlarge", server: { processor: "inf" } }, "server.processor", "inf", /Inferentia/],
    [{ loadTest: { duration: "10s", warmup: "10s" } }, "loadTest.warmup", "10s", /shorter than loadTest\.duration/],
    [
      { cluster: { adminPrincipals: ["arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_abc/jane"] } },
      "cluster.adminPrincipals.0",
      "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_abc/jane",
      /aws iam get-role --role-name AWSReservedSSO_Admin_abc/,
    ],
    [{ cluster: { adminPrincipals: ["jane"] } }, "cluster.adminPrincipals.0", "jane", /IAM role or user ARN/],
    [{ cluster: { logRetentionDays: 10 } }, "cluster.logRetentionDays", 10, /retention periods: 1, 3, 5, 7, 14/],
    [{ instanceType: "c7g.xlarge", server: { cpuArch: "x86_64" } }, "server.cpuArch", "x86_64", /arm64/],
    [{ cluster: { publicAccessCidrs: ["0.0.0.0/0"] } }, "cluster.publicAccessCidrs", ["0.0.0.0/0"], /0\.0\.0\.0\/0/],
    [{ region: "mars-1" }, "region", "mars-1", /us-east-1/],
  ])("%j", (input, path, value, message) => {
    const problems = problemsOf(input);
    const problem = problems.find((p) => p.path === path);
    expect(problem, JSON.stringify(problems)).toBeDefined();
    expect(problem!.value).toEqual(value);
    expect(problem!.message).toMatch(message);
  });

  it("puts path, value and rule in the error message", () => {
    expect(() => parseFleetConfig({ server: { threads: "four" } }, "stacks/Pulumi.x.yaml")).toThrow(
      /Pulumi\.x\.yaml[\s\S]*server\.threads: .*number.*\(got "four"\)/,
    );
  });
});
