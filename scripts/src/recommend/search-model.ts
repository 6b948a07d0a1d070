// The model of a search: the hub id resolved to its commit (imported into the hub cache once), and for int8
// candidates an int8 copy made for the CPU that serves it, kept under .cache/recommend/models/. Candidates
// name the model at that commit, so a winner's stack deploys exactly what was measured.
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import type { FleetConfig } from "@inference-fleet/fleet-config";
import {
  importHubSource,
  localInt8Cpu,
  MODEL_FILE,
  MODEL_INFO_FILE,
  parseHubModelId,
  quantizeModelDir,
  reduceRangeFor,
  type Int8Cpu,
  type Precision,
} from "@inference-fleet/model-zoo";
import { int8TargetOf } from "../local/ensure-model.js";

export interface SearchModel {
  readonly commit: string;
  /** model.name for the stacks. */
  readonly name: string;
  /** model.source of a candidate (relative int8 dirs are relative to the repo root). */
  sourceFor(precision: Precision, config: FleetConfig): string;
  /** The size of model.onnx behind a candidate's model.source (after prepare). */
  modelBytes(source: string): number;
  /** Makes the int8 copies the sources named, once each. */
  prepare(log: (line: string) => void): Promise<void>;
}

/** model.name from the hub repo's name: lower-case letters, digits and dashes. */
function modelNameOf(repo: string): string {
  const name = repo
    .split("/")[1]!
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+/, "");
  return (name || "model").slice(0, 63);
}

export async function resolveSearchModel(
  model: string,
  options: { readonly repoRoot: string; readonly cacheDir: string; readonly local: boolean; readonly log: (line: string) => void },
): Promise<SearchModel> {
  const { repo } = parseHubModelId(model);
  // Asks the hub where the branch is now, so a search after the branch moved measures the new commit (its cache key differs).
  const imported = await importHubSource(model, (line) => options.log(`model: ${line}`), process.env, { reuseResolvedRevision: false });
  const int8Dirs = new Map<string, Int8Cpu>();
  return {
    commit: imported.commit,
    name: modelNameOf(repo),
    sourceFor(precision, config) {
      if (precision === "fp32") return `hf://${repo}@${imported.commit}`;
      const target = options.local ? localInt8Cpu() : int8TargetOf(config, { int8For: "stack" })!;
      const dir = path.join(options.cacheDir, "models", repo.replace("/", "--"), imported.commit, `int8-${reduceRangeFor(target) ? 7 : 8}bit`);
      int8Dirs.set(dir, target);
      return path.relative(options.repoRoot, dir);
    },
    modelBytes(source) {
      const dir = source.startsWith("hf://") ? imported.dir : path.resolve(options.repoRoot, source);
      return statSync(path.join(dir, MODEL_FILE)).size;
    },
    async prepare(log) {
      for (const [outDir, target] of int8Dirs) {
        if (existsSync(path.join(outDir, MODEL_INFO_FILE))) continue;
        log(`model: making the int8 copy for ${target.described} in ${path.relative(options.repoRoot, outDir)} ...`);
        await quantizeModelDir({ dir: imported.dir, outDir, target });
      }
    },
  };
}
