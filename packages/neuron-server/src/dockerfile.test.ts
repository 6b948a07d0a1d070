import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const PACKAGE_DIR = fileURLToPath(new URL("../", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Dockerfile instructions (continuations joined, comments dropped) as [KEYWORD, args]. */
function instructions(path: string): Array<[string, string]> {
  return readFileSync(path, "utf8")
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return [keyword!.toUpperCase(), rest.join(" ")];
    });
}

describe("Dockerfile.neuron", () => {
  const steps = instructions(`${PACKAGE_DIR}Dockerfile.neuron`);
  const all = (keyword: string) => steps.filter(([k]) => k === keyword).map(([, args]) => args);
  const arg = (name: string) =>
    all("ARG")
      .find((args) => args.startsWith(`${name}=`))
      ?.slice(name.length + 1);

  it("builds on the AWS Neuron PyTorch inference container, pinned in one place (tag, and digest when known)", () => {
    expect(all("FROM")).toEqual(["${NEURON_DLC}"]);
    expect(arg("NEURON_DLC")).toMatch(
      /^public\.ecr\.aws\/neuron\/pytorch-inference-neuronx:\d+\.\d+\.\d+-neuronx-py\d+-sdk[\d.]+-ubuntu[\d.]+(@sha256:[0-9a-f]{64})?$/,
    );
  });

  it("runs as a numeric non-root user with writable cache dirs, and starts the server directly", () => {
    expect(all("USER").at(-1)).toMatch(/^[1-9]\d*:\d+$/);
    expect(all("ENV").join(" ")).toMatch(/CACHE_DIR=\/cache/);
    expect(all("RUN").join(" ")).toMatch(/chown 1000:1000 \/cache/);
    expect(all("EXPOSE")).toEqual(["8080"]);
    expect(JSON.parse(all("ENTRYPOINT").at(-1)!)).toEqual(["python3", "-m", "neuron_server"]);
  });

  it("pins every Python requirement and copies only paths that exist (the build context is the repo root)", () => {
    const requirements = readFileSync(`${PACKAGE_DIR}requirements-neuron.txt`, "utf8")
      .split("\n")
      .filter((line) => line.trim() && !line.startsWith("#"));
    expect(requirements.length).toBeGreaterThan(0);
    for (const requirement of requirements) expect(requirement).toMatch(/^[A-Za-z0-9_.-]+==[\w.]+$/);
    for (const copy of all("COPY")) expect(existsSync(`${REPO_ROOT}${copy.split(" ")[0]}`), copy).toBe(true);
  });
});
