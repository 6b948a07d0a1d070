import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const PACKAGES = fileURLToPath(new URL("../../", import.meta.url));
// Packages too heavy (or native) for the Pulumi program, which imports the settings entry.
const FORBIDDEN = [/^onnxruntime-node(\/|$)/, /^hono(\/|$)/, /^@hono\//, /^@aws-sdk\//];

/** Every module specifier a source file imports or re-exports, type-only ones included (the strict reading). */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const statement = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?["']([^"']+)["']/g;
  const dynamic = /\bimport\(\s*["']([^"']+)["']\s*\)/g;
  for (const pattern of [statement, dynamic]) for (const match of source.matchAll(pattern)) found.push(match[1]!);
  return found;
}

/** A workspace package's source entry for a specifier such as @inference-fleet/fleet-config (its "source" export). */
function workspaceSource(specifier: string): string | undefined {
  const match = /^@inference-fleet\/([^/]+)(\/.*)?$/.exec(specifier);
  if (!match) return undefined;
  const root = join(PACKAGES, match[1]!);
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { exports: Record<string, { source: string }> };
  const entry = manifest.exports[`.${match[2] ?? ""}`];
  if (!entry) throw new Error(`${specifier} is not exported by ${root}/package.json.`);
  return join(root, entry.source);
}

/** Walks the import graph from `entry` through relative imports and workspace packages; returns the files and the external packages reached. */
function importGraph(entry: string): { files: Set<string>; external: Map<string, string> } {
  const files = new Set<string>();
  const external = new Map<string, string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const specifier of specifiers(readFileSync(file, "utf8"))) {
      if (specifier.startsWith(".")) pending.push(resolve(dirname(file), specifier).replace(/\.js$/, ".ts"));
      else if (specifier.startsWith("node:")) continue;
      else {
        const workspace = workspaceSource(specifier);
        if (workspace) pending.push(workspace);
        else if (!external.has(specifier)) external.set(specifier, file);
      }
    }
  }
  return { files, external };
}

const forbiddenIn = (external: Map<string, string>) =>
  [...external].filter(([specifier]) => FORBIDDEN.some((pattern) => pattern.test(specifier))).map(([specifier, from]) => `${specifier} (from ${from})`);

describe("the settings entry (@inference-fleet/model-server/settings)", () => {
  it("never reaches onnxruntime-node, hono or the AWS SDK, through this package or fleet-config", () => {
    const { files, external } = importGraph(fileURLToPath(new URL("./settings-entry.ts", import.meta.url)));
    expect([...files].map((file) => file.slice(PACKAGES.length))).toEqual(
      expect.arrayContaining(["model-server/src/config/settings.ts", "model-server/src/config/fleet-environment.ts", "fleet-config/src/index.ts"]),
    );
    expect(forbiddenIn(external)).toEqual([]);
  });

  it("the walk does find onnxruntime-node from the full entry (so the check above can fail)", () => {
    const { external } = importGraph(fileURLToPath(new URL("./index.ts", import.meta.url)));
    expect(forbiddenIn(external)).toEqual(expect.arrayContaining([expect.stringMatching(/^onnxruntime-node /), expect.stringMatching(/^hono /)]));
  });

  it("resolves by package name, as another workspace imports it", async () => {
    const entry = await import("@inference-fleet/model-server/settings");
    expect(Object.keys(entry).sort()).toEqual(
      expect.arrayContaining(["deriveConcurrency", "drainTimeoutMs", "fleetServerEnvironment", "readCpuBudget", "resolveServerSettings", "SETTINGS_ENV"]),
    );
  });
});
