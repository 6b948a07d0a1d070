import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MALLOC_TUNABLES } from "./process/malloc-tunables.js";

const PACKAGE_DIR = fileURLToPath(new URL("../", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** Dockerfile instructions with line continuations joined and comments dropped, split into stages at FROM. */
function parseDockerfile(path: string): Instruction[][] {
  const text = readFileSync(path, "utf8").replace(/\\\n/g, " ");
  const stages: Instruction[][] = [];
  for (const line of text.split("\n").map((l) => l.trim())) {
    if (line === "" || line.startsWith("#")) continue;
    const [keyword, ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword!.toUpperCase(), args: rest.join(" ") };
    if (instruction.keyword === "FROM") stages.push([]);
    stages.at(-1)?.push(instruction);
  }
  return stages;
}

describe.each(["Dockerfile", "Dockerfile.gpu"])("%s", (file) => {
  const stages = parseDockerfile(`${PACKAGE_DIR}${file}`);
  const runtime = stages.at(-1)!;
  const all = (stage: Instruction[], keyword: string) => stage.filter((i) => i.keyword === keyword).map((i) => i.args);

  it("is multi-stage: TypeScript is compiled in a build stage, the runtime stage copies only dist", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stages.find((stage) => / AS build$/i.test(stage[0]!.args))!;
    expect(all(build, "RUN").join(" ")).toContain("tsc -b packages/model-server");
    expect(all(runtime, "COPY").filter((args) => args.startsWith("--from=build /app/"))).toEqual([
      "--from=build /app/packages/fleet-config/dist packages/fleet-config/dist",
      "--from=build /app/packages/model-server/dist packages/model-server/dist",
    ]);
  });

  it("installs only the server's production dependencies in the runtime stage", () => {
    const installs = all(runtime, "RUN").join(" ");
    expect(installs).toMatch(/npm ci --omit=dev --workspace @inference-fleet\/model-server --include-workspace-root=false/);
    expect(installs).not.toMatch(/pulumi|k6|load-test|vitest/);
  });

  it("runs as a numeric non-root user, exposes 8080 and starts node on the entry directly", () => {
    const user = all(runtime, "USER").at(-1)!;
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
    expect(all(runtime, "EXPOSE")).toEqual(["8080"]);
    expect(JSON.parse(all(runtime, "ENTRYPOINT").at(-1)!)).toEqual(["node", "packages/model-server/dist/main.js"]);
  });

  it("keeps writes in a cache dir that can be a mounted emptyDir (read-only root filesystem)", () => {
    expect(all(runtime, "ENV").join(" ")).toMatch(/CACHE_DIR=\/tmp\/models/);
  });

  it("sets malloc as every other way of starting the server does (GLIBC_TUNABLES, read only at process start)", () => {
    expect(all(runtime, "ENV").join(" ")).toContain(`GLIBC_TUNABLES=${MALLOC_TUNABLES}`);
  });

  it("copies only paths that exist in the repository (the build context is the repo root)", () => {
    for (const stage of stages) {
      for (const args of all(stage, "COPY").filter((a) => !a.startsWith("--from"))) {
        const sources = args.split(/\s+/).slice(0, -1);
        for (const source of sources) expect(existsSync(`${REPO_ROOT}${source}`), `${file}: COPY ${source}`).toBe(true);
      }
    }
  });
});

describe("Dockerfile.gpu", () => {
  const text = readFileSync(`${PACKAGE_DIR}Dockerfile.gpu`, "utf8");

  it("uses a CUDA runtime base, asks for the CUDA execution provider with cpu fallback, and installs the CUDA EP binaries", () => {
    expect(text).toMatch(/^FROM nvidia\/cuda:12[\d.]+-cudnn-runtime/m);
    expect(text).toMatch(/EXECUTION_PROVIDERS=cuda,cpu/);
    expect(text).toMatch(/--onnxruntime-node-install=cuda12/);
  });
});
