// The loopback hub answers @huggingface/hub's calls as huggingface.co does (requests checked against the client's source).
import { downloadFile, fileExists, HubApiError, listFiles, modelInfo, pathsInfo } from "@huggingface/hub";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeHub } from "./fake-hub.js";

let hub: FakeHub;
let commit: string;
const weights = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
beforeAll(async () => {
  hub = await FakeHub.start({ pageSize: 2 });
  commit = hub.addCommit("org/model", {
    "config.json": Buffer.from("{}"),
    "onnx/model.onnx": weights,
    "model.safetensors": weights,
    "README.md": Buffer.from("hi"),
  });
});
afterAll(() => hub.close());

const repo = { type: "model", name: "org/model" } as const;

describe("FakeHub", () => {
  it("modelInfo: the commit of a revision", async () => {
    const info = (await modelInfo({ name: "org/model", hubUrl: hub.url, additionalFields: ["sha"] })) as unknown as { sha: string; name: string };
    expect(info).toMatchObject({ sha: commit, name: "org/model" });
    expect(hub.requests.at(-1)?.url).toMatch(/^\/api\/models\/org\/model\/revision\/HEAD\?/);
  });

  it("listFiles: every page through Link headers, folders included when recursive, LFS sizes", async () => {
    const entries = [];
    for await (const entry of listFiles({ repo, revision: commit, recursive: true, hubUrl: hub.url })) entries.push(entry);
    expect(entries.map((e) => `${e.type} ${e.path}`)).toEqual([
      "file README.md",
      "file config.json",
      "file model.safetensors",
      "directory onnx",
      "file onnx/model.onnx",
    ]);
    expect(entries.find((e) => e.path === "model.safetensors")).toMatchObject({ size: 5000, lfs: { size: 5000 } });
    expect(hub.requestsTo("/api/models/org/model/tree/").length).toBe(3);
  });

  it("downloadFile: Range bytes=0-0 first, an LFS file through the CDN redirect, then the whole file", async () => {
    hub.requests.length = 0;
    const blob = await downloadFile({ repo, path: "model.safetensors", revision: commit, hubUrl: hub.url, xet: false });
    expect(Buffer.from(await blob!.arrayBuffer())).toEqual(weights);
    expect(hub.requests.map((r) => `${r.method} ${r.url} ${r.range ?? ""}`.trim())).toEqual([
      `GET /org/model/resolve/${commit}/model.safetensors bytes=0-0`,
      expect.stringMatching(/^GET \/cdn\/[0-9a-f]{64} bytes=0-0$/),
      expect.stringMatching(/^GET \/cdn\/[0-9a-f]{64}$/),
    ]);
    const slice = await blob!.slice(10, 20).arrayBuffer();
    expect(Buffer.from(slice)).toEqual(weights.subarray(10, 20));
  });

  it("fileExists (HEAD raw) and pathsInfo (POST)", async () => {
    expect(await fileExists({ repo, path: "config.json", revision: commit, hubUrl: hub.url })).toBe(true);
    expect(await fileExists({ repo, path: "nope.json", revision: commit, hubUrl: hub.url })).toBe(false);
    expect(hub.requests.at(-1)).toMatchObject({ method: "HEAD", url: `/org/model/raw/${commit}/nope.json` });
    const info = await pathsInfo({ repo, paths: ["config.json", "missing"], revision: commit, hubUrl: hub.url });
    expect(info.map((i) => i.path)).toEqual(["config.json"]);
  });

  it("answers errors with the hub's X-Error-Code: unknown repo 401 without a token, 404 with one; unknown revision 404", async () => {
    const status = async (call: Promise<unknown>) => ((await call.catch((e: unknown) => e)) as HubApiError).statusCode;
    expect(await status(modelInfo({ name: "org/none", hubUrl: hub.url }))).toBe(401);
    expect(await status(modelInfo({ name: "org/none", hubUrl: hub.url, accessToken: hub.token }))).toBe(404);
    expect(await status(modelInfo({ name: "org/model", revision: "nope", hubUrl: hub.url }))).toBe(404);
    const response = await fetch(`${hub.url}/api/models/org/model/revision/nope`);
    expect(response.headers.get("X-Error-Code")).toBe("RevisionNotFound");
    expect(await downloadFile({ repo, path: "absent.bin", revision: commit, hubUrl: hub.url })).toBeNull(); // EntryNotFound
  });
});
