import { existsSync } from "node:fs";
import path from "node:path";
import type { FleetConfig } from "@inference-fleet/fleet-config";
import { generateModel, MODEL_FILE, MODEL_INFO_FILE, TOKENIZER_FILE } from "@inference-fleet/model-zoo";

function isRemote(source: string): boolean {
  return /^(s3|https):\/\//.test(source);
}

/**
 * The model source the local servers load: a remote source as it is (the servers fetch it), a local
 * directory relative to the repo root, built with model-zoo from config.model.generate when it is missing.
 */
export async function ensureModel(config: FleetConfig, repoRoot: string, log: (line: string) => void): Promise<string> {
  const { source, generate, maxSeqLength } = config.model;
  if (isRemote(source)) return source;
  const dir = path.resolve(repoRoot, source);
  if ([MODEL_FILE, TOKENIZER_FILE, MODEL_INFO_FILE].every((file) => existsSync(path.join(dir, file)))) {
    log(`model: ${path.relative(repoRoot, dir) || dir} (present)`);
    return dir;
  }
  log(`model: generating ${generate.size} BERT-QA (seed ${generate.seed}) into ${path.relative(repoRoot, dir)} ...`);
  const started = Date.now();
  await generateModel({ size: generate.size, seed: generate.seed, outDir: dir, maxSequenceLength: maxSeqLength });
  log(`model: generated in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return dir;
}
