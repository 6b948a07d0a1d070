import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The repo root (the folder with Pulumi.yaml). Pulumi runs the program with infra/ as its working
 * directory, so relative paths from the config (model dirs, Docker contexts) are resolved from here.
 */
export function findRepoRoot(from = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = path.resolve(from);
  while (!existsSync(path.join(dir, "Pulumi.yaml"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No Pulumi.yaml found above ${from}: run the infra program from inside the inference-fleet repo.`);
    dir = parent;
  }
  return dir;
}
