// A package imports another only through its index (or a subpath its package.json exports): never
// "@inference-fleet/x/src/..." and never a relative path out of its own folder. Internals can then move
// (issue #24 regrouped them) without breaking another package.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const SKIPPED_DIRS = new Set(["node_modules", "dist", ".git", "models", "results", "out"]);

/**
 * The one exception: the k6 bundle cannot load fleet-config's index (it holds Node-only loaders), so
 * this file re-exports the few pure modules it needs, and bundleK6Script aliases the package to it.
 */
const ALLOWED = new Set(["packages/load-test/src/k6/fleet-config-pure.ts"]);

interface Workspace {
  /** Folder relative to the repo root, "" for the root (bench/). */
  readonly dir: string;
  readonly name: string;
  /** The package.json `exports` keys: "." and subpaths such as "./settings". */
  readonly exports: readonly string[];
}

function workspaces(): Workspace[] {
  const dirs = [...readdirSync(path.join(REPO, "packages")).map((d) => `packages/${d}`), "infra", "scripts", ""];
  return dirs
    .filter((dir) => existsSync(path.join(REPO, dir, "package.json")))
    .map((dir) => {
      const manifest = JSON.parse(readFileSync(path.join(REPO, dir, "package.json"), "utf8")) as { name: string; exports?: Record<string, unknown> };
      return { dir, name: manifest.name, exports: Object.keys(manifest.exports ?? {}) };
    });
}

function typeScriptFiles(dir: string): string[] {
  return readdirSync(path.join(REPO, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = dir === "" ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : typeScriptFiles(relative);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [relative] : [];
  });
}

/** Module specifiers of static imports, re-exports, dynamic imports and vi.mock calls. */
export function specifiersOf(source: string): string[] {
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\bvi\.mock\(\s*)["']([^"']+)["']/g;
  return [...source.matchAll(pattern)].map((match) => match[1]!);
}

/** The workspace a repo-relative file belongs to: the longest folder that holds it. */
function owner(file: string, all: readonly Workspace[]): Workspace {
  return all.filter((w) => w.dir === "" || file.startsWith(`${w.dir}/`)).sort((a, b) => b.dir.length - a.dir.length)[0]!;
}

/** Why `specifier` in `file` reaches into another package's internals; undefined when it does not. */
export function boundaryViolation(file: string, specifier: string, all: readonly Workspace[]): string | undefined {
  const home = owner(file, all);
  if (specifier.startsWith(".")) {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
    const reached = owner(target, all);
    return reached.dir === home.dir ? undefined : `${file} imports ${specifier}: a file of ${reached.name}, not its index`;
  }
  const target = all.find((w) => specifier === w.name || specifier.startsWith(`${w.name}/`));
  if (!target) return undefined;
  const subpath = `.${specifier.slice(target.name.length)}`;
  return target.exports.includes(subpath) ? undefined : `${file} imports ${specifier}: ${target.name} does not export "${subpath}"`;
}

describe("package boundaries", () => {
  const all = workspaces();

  it("finds every workspace package, the root's bench/ included", () => {
    expect(all.map((w) => w.name)).toEqual(expect.arrayContaining(["@inference-fleet/reports", "@inference-fleet/load-test", "inference-fleet"]));
  });

  it("flags an import of another package's source file or of a subpath it does not export", () => {
    expect(boundaryViolation("scripts/src/commands/report.ts", "../../../packages/reports/src/html.js", all)).toMatch(/a file of @inference-fleet\/reports/);
    expect(boundaryViolation("bench/autoscale.ts", "../packages/load-test/src/index.js", all)).toMatch(/a file of @inference-fleet\/load-test/);
    expect(boundaryViolation("infra/src/program.ts", "@inference-fleet/load-test/src/k6/env.js", all)).toMatch(/does not export "\.\/src\/k6\/env\.js"/);
    expect(boundaryViolation("infra/src/program.ts", "@inference-fleet/model-server/settings", all)).toBeUndefined();
    expect(boundaryViolation("packages/reports/src/html.ts", "./svg.js", all)).toBeUndefined();
    expect(boundaryViolation("packages/reports/src/html.ts", "@inference-fleet/load-test", all)).toBeUndefined();
  });

  it("reads imports, re-exports, dynamic imports and mocks", () => {
    const source = `import a from "x";\nimport type { B } from "../y.js";\nexport { c } from "./z.js";\nawait import("w");\nvi.mock("v");\nimport "side";`;
    expect(specifiersOf(source)).toEqual(["x", "../y.js", "./z.js", "w", "v", "side"]);
  });

  it("holds in every TypeScript file: other packages only through their exports", () => {
    // Sources, tests and benchmarks; the vitest configs share the root's vitest.shared.ts by design.
    const files = all.flatMap((w) => typeScriptFiles(w.dir === "" ? "bench" : `${w.dir}/src`));
    expect(files.length).toBeGreaterThan(300);
    const violations = files
      .filter((file) => !ALLOWED.has(file))
      .flatMap((file) => specifiersOf(readFileSync(path.join(REPO, file), "utf8")).map((specifier) => boundaryViolation(file, specifier, all)))
      .filter((violation) => violation !== undefined);
    expect(violations).toEqual([]);
  });
});
