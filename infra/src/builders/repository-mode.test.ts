import path from "node:path";
import { describe, expect, it } from "vitest";
import { modelsForShard, parseFleetConfig, shardOwner } from "@inference-fleet/fleet-config";
import { buildK6Env } from "./k6-job.js";
import { assertModelDirReady, planModelSource } from "./model-source.js";
import { buildServerPodSpec, modelNamesFor } from "./server-pod.js";

const many = parseFleetConfig({
  model: { source: "models/many", repository: { count: 40, maxResidentMb: 200 } },
  server: { numServers: 3 },
  loadTest: { modelChoice: { distribution: "zipf", s: 1.1 } },
});
type PlainEnv = Array<{ name: string; value?: string }>;
const toRecord = (env: unknown) => Object.fromEntries((env as PlainEnv).filter((v) => v.value !== undefined).map((v) => [v.name, v.value]));
const containerEnv = (spec: ReturnType<typeof buildServerPodSpec>) => toRecord((spec.containers as Array<{ env: unknown }>)[0]!.env);

describe("repository mode", () => {
  it.each([0, 1, 2])("server %i gets the repository prefix, its shard index, the server count and the resident budget", (index) => {
    const spec = buildServerPodSpec(many, index, { image: "img", modelSource: "s3://bucket/models/x-repository/", serviceAccountName: "sa" });
    const env = containerEnv(spec);
    expect(env).toMatchObject({ MODEL_REPO: "s3://bucket/models/x-repository/", SERVER_INDEX: String(index), NUM_SERVERS: "3", MAX_RESIDENT_MB: "200" });
    expect(env.MODEL_DIR).toBeUndefined();
  });

  it("gives k6 every repository model name and shard routing, so each request reaches its model's owner", () => {
    const models = modelNamesFor(many);
    expect(models).toHaveLength(40);
    expect(models.slice(0, 3)).toEqual(["model0", "model1", "model2"]);
    const env = toRecord(buildK6Env(many, { targets: ["http://s0", "http://s1", "http://s2"], models }));
    expect(env).toMatchObject({ MODEL_ROUTING: "shard", MODEL_DISTRIBUTION: "zipf", ZIPF_S: "1.1", MODELS: models.join(",") });
    // The shards the servers will serve cover the names k6 sends, each at the owner k6 picks.
    expect([0, 1, 2].flatMap((i) => modelsForShard(models, i, 3)).length).toBe(40);
    expect(models.every((m) => modelsForShard(models, shardOwner(m, 3), 3).includes(m))).toBe(true);
  });

  it("uploads every model subdirectory and checks them all before a deployment", () => {
    const plan = planModelSource(many, "/repo");
    expect(plan).toMatchObject({ kind: "upload", localDir: path.resolve("/repo", "models/many") });
    expect(plan.kind === "upload" && plan.models?.length).toBe(40);
    expect(() => assertModelDirReady(plan, (file) => !file.includes(`${path.sep}model7${path.sep}`))).toThrow(
      /lacks 1 of its 40 models \(first: model7\).*generate-many --count 40/,
    );
    expect(() => assertModelDirReady(plan, () => true)).not.toThrow();
  });

  it("keeps the single-model environment when no repository is configured", () => {
    const spec = buildServerPodSpec(parseFleetConfig({}), 0, { image: "img", modelSource: "s3://b/m/", serviceAccountName: "sa" });
    const env = containerEnv(spec);
    expect(env.MODEL_DIR).toBe("s3://b/m/");
    expect(env.MODEL_REPO).toBeUndefined();
  });
});
