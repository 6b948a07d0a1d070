import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const SKIPPED_DIRS = new Set(["node_modules", "dist", "coverage", ".cache"]);

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => !(entry.isDirectory() && SKIPPED_DIRS.has(entry.name)) && !entry.name.endsWith(".tsbuildinfo"))
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? listFiles(full) : [full];
    });
}

/** The workspace packages an image's package depends on, itself first (from package.json dependencies). */
export function workspaceClosure(repoRoot: string, packageDir: string): string[] {
  const seen = new Set<string>();
  const visit = (dir: string) => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const manifest = JSON.parse(readFileSync(path.join(repoRoot, dir, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
    for (const name of Object.keys(manifest.dependencies ?? {})) {
      if (name.startsWith("@inference-fleet/")) visit(path.join("packages", name.slice("@inference-fleet/".length)));
    }
  };
  visit(packageDir);
  return [...seen];
}

/**
 * The files that go into the model-server image: the root manifests and lockfile, and every
 * workspace package it depends on. Paths are relative to the repo root, sorted.
 */
export function imageInputFiles(repoRoot: string, packageDir = "packages/model-server"): string[] {
  const dirs = workspaceClosure(repoRoot, packageDir);
  const files = dirs.flatMap((dir) => listFiles(path.join(repoRoot, dir)));
  const rootFiles = ["package.json", "package-lock.json", ".npmrc"].map((file) => path.join(repoRoot, file)).filter((file) => {
    try {
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
  return [...rootFiles, ...files].map((file) => path.relative(repoRoot, file)).sort();
}

/**
 * A tag that changes exactly when the image's inputs change (paths and bytes), so immutable tags
 * work: an unchanged tree reuses the pushed image, a changed one pushes a new tag.
 */
export function contentTag(repoRoot: string, files: readonly string[], variant: string): string {
  const hash = createHash("sha256").update(variant);
  for (const file of files) {
    hash.update(`\0${file}\0`);
    hash.update(readFileSync(path.join(repoRoot, file)));
  }
  return `${variant}-${hash.digest("hex").slice(0, 16)}`;
}
