import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";

/** A .dockerignore pattern as a matcher of context-relative paths (a match also excludes what lies below it). */
function ignoreMatcher(pattern: string): (file: string) => boolean {
  const body = pattern.replace(/^\/+|\/+$/g, "");
  const source = body
    .split(/(\*\*\/|\*\*|\*|\?)/)
    .map((part) => ({ "**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]" })[part] ?? part.replace(/[.+^${}()|[\]\\]/g, "\\$&"))
    .join("");
  const regex = new RegExp(`^${source}(?:/.*)?$`);
  return (file) => regex.test(file);
}

/** The context's .dockerignore rules (no "!" exceptions: this repository uses none). */
function readDockerignore(repoRoot: string): (file: string) => boolean {
  const file = path.join(repoRoot, ".dockerignore");
  if (!existsSync(file)) return () => false;
  const matchers = readFileSync(file, "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"))
    .map(ignoreMatcher);
  return (relative) => matchers.some((matches) => matches(relative));
}

/** The context paths a Dockerfile's COPY and ADD instructions take from the build context (not from other stages). */
function copiedSources(dockerfileText: string): string[] {
  const instructions = dockerfileText
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((line) => line.trim());
  const sources: string[] = [];
  for (const line of instructions) {
    const match = /^(COPY|ADD)\s+(.*)$/i.exec(line);
    if (!match) continue;
    const words = match[2]!.trim().startsWith("[") ? (JSON.parse(match[2]!) as string[]) : match[2]!.split(/\s+/);
    if (words.some((word) => word.startsWith("--from="))) continue;
    const args = words.filter((word) => !word.startsWith("--"));
    sources.push(...args.slice(0, -1).map((source) => source.replace(/^\.\/|\/$/g, "") || "."));
  }
  return sources;
}

function filesUnder(repoRoot: string, relative: string, ignored: (file: string) => boolean): string[] {
  if (ignored(relative)) return [];
  const full = path.join(repoRoot, relative);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [relative];
  return readdirSync(full).flatMap((entry) => filesUnder(repoRoot, relative === "." ? entry : `${relative}/${entry}`, ignored));
}

/**
 * Every file that goes into an image: what the Dockerfile copies from the context (less .dockerignore),
 * the Dockerfile itself and .dockerignore. Paths are relative to the repo root, sorted, unique.
 */
export function imageInputFiles(repoRoot: string, dockerfile: string): string[] {
  const ignored = readDockerignore(repoRoot);
  const text = readFileSync(path.join(repoRoot, dockerfile), "utf8");
  const files = new Set([dockerfile, ...(existsSync(path.join(repoRoot, ".dockerignore")) ? [".dockerignore"] : [])]);
  for (const source of copiedSources(text)) for (const file of filesUnder(repoRoot, source, ignored)) files.add(file);
  return [...files].sort();
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

/** Every file under a directory, relative to it, sorted. */
function allFiles(dir: string, relative = "."): string[] {
  const full = path.join(dir, relative);
  if (!statSync(full).isDirectory()) return [relative];
  return readdirSync(full)
    .flatMap((entry) => allFiles(dir, relative === "." ? entry : `${relative}/${entry}`))
    .sort();
}

/** A hash of a build context as a builder sees it: every file's path and bytes (what docker-build rebuilds on). */
export function contextHash(dir: string): string {
  const hash = createHash("sha256");
  for (const file of allFiles(dir)) hash.update(`\0${file}\0`).update(readFileSync(path.join(dir, file)));
  return hash.digest("hex");
}

/**
 * The image's build context as a folder of exactly the files its tag hashes (under repoRoot/.cache/image-context/,
 * named by the tag). With the repo root as context, docker-build rebuilt on any change (a README edit, a stack file)
 * and pushed again to the same immutable tag, which ECR refuses; now the context changes exactly when the tag does.
 */
export function stageImageContext(repoRoot: string, dockerfile: string, variant: string): { dir: string; tag: string } {
  const files = imageInputFiles(repoRoot, dockerfile);
  const tag = contentTag(repoRoot, files, variant);
  const root = path.join(repoRoot, ".cache", "image-context");
  const dir = path.join(root, tag);
  if (existsSync(dir)) return { dir, tag };
  mkdirSync(root, { recursive: true });
  // Written beside and renamed into place, so a concurrent run never sees half a context.
  const staging = mkdtempSync(path.join(root, `.${tag}-`));
  for (const file of files) {
    mkdirSync(path.dirname(path.join(staging, file)), { recursive: true });
    copyFileSync(path.join(repoRoot, file), path.join(staging, file));
  }
  try {
    renameSync(staging, dir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(dir)) throw error;
  }
  return { dir, tag };
}
