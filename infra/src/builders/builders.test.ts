import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, estimateUsdPerHour, loadStackConfig, parseFleetConfig } from "@inference-fleet/fleet-config";
import { fleetServerEnvironment } from "@inference-fleet/model-server/settings";
import { assertDeployable } from "../config.js";
import { contentTag, contextHash, imageInputFiles, stageImageContext } from "./image-content.js";
import { parseS3Uri } from "./iam-documents.js";
import { buildK6Env } from "./k6-job.js";
import { assertModelDirReady, assertModelPrecision, planModelSource } from "./model-source.js";
import { amiTypeFor, platformFor, taintsFor } from "./node-groups.js";
import { lifecyclePolicyFor } from "./registry.js";
import { buildServerEnv, buildServerProbes } from "./server-pod.js";

const dev = loadStackConfig("dev", { env: {} });

describe.each([
  ["x86_64", undefined, "AL2023_x86_64_STANDARD", "linux/amd64"],
  ["arm64", undefined, "AL2023_ARM_64_STANDARD", "linux/arm64"],
  ["x86_64", "nvidia", "AL2023_x86_64_NVIDIA", "linux/amd64"],
  ["x86_64", "neuron", "AL2023_x86_64_NEURON", "linux/amd64"],
] as const)("a %s node with accelerator %s", (arch, accelerator, ami, platform) => {
  it(`uses ${ami} and builds images for ${platform}`, () => {
    expect(amiTypeFor(arch, accelerator)).toBe(ami);
    expect(platformFor(arch)).toBe(platform);
  });
});

describe("amiTypeFor", () => {
  it("refuses accelerators on arm64, saying which types to pick", () => {
    expect(() => amiTypeFor("arm64", "nvidia")).toThrow(/g4dn, g5 or g6/);
  });
});

describe.each([
  ["system", undefined, []],
  ["fleet", undefined, ["inference-fleet.io/dedicated"]],
  ["fleet", "nvidia", ["inference-fleet.io/dedicated", "nvidia.com/gpu"]],
  ["fleet", "neuron", ["inference-fleet.io/dedicated", "aws.amazon.com/neuron"]],
] as const)("taints of a %s node group with %s", (role, accelerator, keys) => {
  it(`are ${keys.join(", ") || "none"}`, () => {
    expect(taintsFor(role, accelerator).map((taint) => taint.key)).toEqual(keys);
  });
});

describe("lifecyclePolicyFor", () => {
  it.each([[1], [30]])("keeps the newest %i images and expires untagged ones", (keep) => {
    expect(lifecyclePolicyFor(keep).rules).toEqual([
      expect.objectContaining({ tagStatus: "untagged", maximumAgeLimit: 1 }),
      expect.objectContaining({ tagStatus: "any", maximumNumberOfImages: keep }),
    ]);
  });
  it.each([[0], [2.5]])("rejects %s images to keep", (keep) => {
    expect(() => lifecyclePolicyFor(keep)).toThrow(/whole number/);
  });
});

describe("buildK6Env", () => {
  const env = (overrides: object) =>
    Object.fromEntries(
      buildK6Env(parseFleetConfig({ ...overrides }), { targets: ["http://a", "http://b"], models: ["model0"] })
        .filter((variable) => variable.value !== undefined)
        .map((variable) => [variable.name, variable.value]),
    );
  it.each([
    [1, "100"],
    [4, "25"],
  ])("splits the total rate over %i pods", (pods, rate) => {
    expect(env({ loadTest: { pods, rate: 100 } }).RATE).toBe(rate);
  });
  it("passes targets, SLO and duration in the k6 script's terms", () => {
    expect(env({ loadTest: { duration: "2m", slo: "p99<=50ms" } })).toMatchObject({
      TARGETS: "http://a,http://b",
      DURATION: "120s",
      SLO_PERCENTILE: "99",
      SLO_MS: "50",
    });
  });
});

describe("the server's configuration", () => {
  const podEnv = (config: typeof dev) => Object.fromEntries(buildServerEnv(config, "s3://b/models/x/").map((variable) => [variable.name, variable.value]));
  it("is passed as the container's environment, with metrics on every interface so the pod IP can be scraped", () => {
    expect(podEnv(dev)).toMatchObject({
      MODEL_DIR: "s3://b/models/x/",
      NUM_MODELS: String(dev.server.numModels),
      PORT: "8080",
      HOST: "0.0.0.0",
      METRICS_PORT: "9090",
      METRICS_HOST: "0.0.0.0",
      EXECUTION_PROVIDERS: "cpu",
      MAX_SEQ_LENGTH: String(dev.model.maxSeqLength),
      CACHE_DIR: "/cache",
    });
  });
  it("is the local runner's environment but for where the server listens and caches", () => {
    const local = fleetServerEnvironment(dev, { modelSource: "s3://b/models/x/", index: 0, port: 8080, host: "127.0.0.1" });
    const placement = ["HOST", "METRICS_PORT", "METRICS_HOST", "CACHE_DIR", "HEALTH_PORT"];
    const strip = (env: Record<string, string>) => Object.fromEntries(Object.entries(env).filter(([name]) => !placement.includes(name)));
    expect(strip(podEnv(dev))).toEqual(strip(local));
  });
  it("leaves threads and workers to the server's CPU budget (cgroup cpu.max) unless the stack sets them", () => {
    expect(podEnv(dev)).not.toHaveProperty("THREADS");
    expect(podEnv({ ...dev, server: { ...dev.server, threads: 3, inferenceWorkers: 1 } })).toMatchObject({ THREADS: "3", INFERENCE_WORKERS: "1" });
  });
  it("asks for cuda first on gpu stacks", () => {
    expect(podEnv(loadStackConfig("g5", { env: {} })).EXECUTION_PROVIDERS).toBe("cuda,cpu");
  });
  it.each([
    [undefined, "/v2/health/ready", "/v2/health/live"],
    ["example.com/neuron-server:1", "/", "/"],
  ])("probes image %s on its health routes", (image, ready, live) => {
    const probes = buildServerProbes({ ...dev, server: { ...dev.server, image } });
    expect([probes.startupProbe, probes.readinessProbe, probes.livenessProbe].map((probe) => (probe as { httpGet: { path: string } }).httpGet.path)).toEqual([
      ready,
      ready,
      live,
    ]);
  });
});

describe("model sources", () => {
  it.each([
    ["s3://models-bucket/bert/", { kind: "s3", bucket: "models-bucket", prefix: "bert/" }],
    ["https://example.com/bert", { kind: "https", url: "https://example.com/bert" }],
    ["models/bert-qa-tiny", { kind: "upload", localDir: "/repo/models/bert-qa-tiny", prefix: "models/bert-qa/" }],
  ])("%s is planned as %j", (source, plan) => {
    expect(planModelSource({ ...dev, model: { ...dev.model, source } }, "/repo")).toEqual(plan);
  });
  it("refuses to deploy a local model dir that lacks files, naming them", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "model-"));
    writeFileSync(path.join(dir, "model.onnx"), "");
    expect(() => assertModelDirReady({ kind: "upload", localDir: dir, prefix: "m/" })).toThrow(/lacks tokenizer\.json:/);
  });
  it("deploys an export without model.json (model.json is optional, as the servers read it)", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "model-"));
    for (const file of ["model.onnx", "tokenizer.json"]) writeFileSync(path.join(dir, file), "");
    expect(() => assertModelDirReady({ kind: "upload", localDir: dir, prefix: "m/" })).not.toThrow();
  });
  it("parses s3 URIs and rejects others", () => {
    expect(parseS3Uri("s3://b/p")).toEqual({ bucket: "b", prefix: "p/" });
    expect(() => parseS3Uri("https://b/p")).toThrow(/not an s3/);
  });
});

describe("contentTag", () => {
  it("changes with the bytes of the image's inputs and with the variant", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "image-"));
    writeFileSync(path.join(dir, "a.txt"), "one");
    const first = contentTag(dir, ["a.txt"], "cpu");
    expect(first).toMatch(/^cpu-[0-9a-f]{16}$/);
    expect(contentTag(dir, ["a.txt"], "cpu")).toBe(first);
    expect(contentTag(dir, ["a.txt"], "gpu")).not.toBe(first.replace("cpu", "gpu"));
    writeFileSync(path.join(dir, "a.txt"), "two");
    expect(contentTag(dir, ["a.txt"], "cpu")).not.toBe(first);
  });
});

describe("stageImageContext", () => {
  it("builds from exactly what the tag hashes: the context changes when the tag does, and only then", () => {
    const repo = mkdtempSync(path.join(tmpdir(), "image-repo-"));
    mkdirSync(path.join(repo, "app"));
    writeFileSync(path.join(repo, "Dockerfile"), "FROM scratch\nCOPY package.json ./\nCOPY app ./app\n");
    writeFileSync(path.join(repo, ".dockerignore"), "**/node_modules\n");
    writeFileSync(path.join(repo, "package.json"), "{}");
    writeFileSync(path.join(repo, "app", "main.js"), "one");
    writeFileSync(path.join(repo, "README.md"), "docs");
    const first = stageImageContext(repo, "Dockerfile", "cpu");
    const firstHash = contextHash(first.dir);
    expect(readdirSync(first.dir).sort()).toEqual([".dockerignore", "Dockerfile", "app", "package.json"]);
    // A README edit or a new stack file: neither the tag nor what the builder sees moves (before, the repo root was the context).
    writeFileSync(path.join(repo, "README.md"), "docs, edited");
    writeFileSync(path.join(repo, "Pulumi.dev-tuned.yaml"), "x: 1");
    const again = stageImageContext(repo, "Dockerfile", "cpu");
    expect(again).toEqual(first);
    expect(contextHash(again.dir)).toBe(firstHash);
    // A copied file: a new tag and a new context together.
    writeFileSync(path.join(repo, "app", "main.js"), "two");
    const changed = stageImageContext(repo, "Dockerfile", "cpu");
    expect(changed.tag).not.toBe(first.tag);
    expect(contextHash(changed.dir)).not.toBe(firstHash);
  });
});

describe("assertDeployable", () => {
  it("refuses a public endpoint with no CIDRs, naming the field", () => {
    expect(() => assertDeployable(dev, "test")).toThrow(ConfigError);
    expect(() => assertDeployable(dev, "test")).toThrow(/cluster\.publicAccessCidrs/);
  });
  it("accepts CIDRs, a private endpoint, or an existing cluster", () => {
    const cluster = dev.cluster;
    expect(() => assertDeployable({ ...dev, cluster: { ...cluster, publicAccessCidrs: ["198.51.100.0/24"] } }, "t")).not.toThrow();
    expect(() => assertDeployable({ ...dev, cluster: { ...cluster, endpointPublicAccess: false } }, "t")).not.toThrow();
    expect(() => assertDeployable({ ...dev, cluster: { ...cluster, existing: { clusterName: "c" } } }, "t")).not.toThrow();
  });
});

describe("estimateUsdPerHour", () => {
  it("adds nodes, the control plane and NAT gateways", () => {
    const c7g = loadStackConfig("c7g", { env: {} });
    // 1 x c7g.4xlarge + 2 x c7i.2xlarge + EKS + 1 NAT gateway
    expect(estimateUsdPerHour(c7g).total).toBeCloseTo(0.58 + 2 * 0.357 + 0.1 + 0.045, 6);
  });
});

describe("imageInputFiles", () => {
  const repo = () => {
    const dir = mkdtempSync(path.join(tmpdir(), "image-inputs-"));
    const write = (file: string, text: string) => {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    };
    write(
      "Dockerfile",
      "FROM node AS build\nCOPY package.json tsconfig.base.json ./\nCOPY --from=build /app/dist dist\nCOPY packages/server \\\n  packages/server\nRUN npm ci\n",
    );
    write(".dockerignore", "**/node_modules\n**/dist\n");
    write("package.json", "{}");
    write("tsconfig.base.json", "{}");
    write("packages/server/src/main.ts", "one");
    write("packages/server/node_modules/x/index.js", "ignored");
    write("packages/server/dist/main.js", "ignored");
    write("packages/other/src/x.ts", "not copied");
    return dir;
  };
  it("lists what the Dockerfile copies from the context, less .dockerignore, plus the Dockerfile itself", () => {
    expect(imageInputFiles(repo(), "Dockerfile")).toEqual([".dockerignore", "Dockerfile", "package.json", "packages/server/src/main.ts", "tsconfig.base.json"]);
  });
  it("gives a new tag when a copied file, the Dockerfile or a root manifest changes, and the same tag otherwise", () => {
    const dir = repo();
    const tag = () => contentTag(dir, imageInputFiles(dir, "Dockerfile"), "cpu");
    const first = tag();
    writeFileSync(path.join(dir, "packages/other/src/x.ts"), "changed, but not in the image");
    expect(tag()).toBe(first);
    for (const file of ["tsconfig.base.json", "packages/server/src/main.ts", "Dockerfile"]) {
      const before = tag();
      writeFileSync(path.join(dir, file), `${readFileSync(path.join(dir, file), "utf8")}\n# changed`);
      expect(tag(), file).not.toBe(before);
    }
  });
  it("covers the shipped server image's build inputs (model-zoo and tsconfig.base.json are copied too)", () => {
    const files = imageInputFiles(path.resolve(import.meta.dirname, "../../.."), "packages/model-server/Dockerfile");
    expect(files).toEqual(
      expect.arrayContaining(["tsconfig.base.json", "packages/model-zoo/package.json", "packages/model-server/Dockerfile", "package-lock.json"]),
    );
    expect(files.some((file) => file.includes("node_modules") || file.includes("/dist/"))).toBe(false);
  });
});

describe("assertModelPrecision", () => {
  const plan = { kind: "upload" as const, localDir: "/m", prefix: "m/" };
  it("refuses to upload a model at another precision than the stack's, saying how to get the right one", () => {
    expect(() => assertModelPrecision(plan, "int8", () => JSON.stringify({ precision: "fp32" }))).toThrow(
      /is fp32, but the stack asks for model\.precision int8: .*fleet model quantize/,
    );
    expect(() => assertModelPrecision(plan, "fp32", () => JSON.stringify({ name: "old model without a precision" }))).not.toThrow();
    expect(() => assertModelPrecision(plan, "int8", () => JSON.stringify({ precision: "int8" }))).not.toThrow();
  });
});
