import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MODEL_INFO_FILE } from "../model-info.js";

/**
 * This project's folder for one hub repo in the Hugging Face cache:
 *   <cacheDir>/<org>--<name>/refs/<revision>      the commit a branch or tag pointed at when last asked
 *   <cacheDir>/<org>--<name>/<commit>/files/...   the files downloaded at that commit, in the repo's layout
 *   <cacheDir>/<org>--<name>/<commit>/model/      the model directory built from them (complete once model.json is there)
 * Keyed by commit: a commit never changes, so its entry is reused without asking the hub; a new commit gets its own.
 */
export class HubCache {
  readonly repoDir: string;

  constructor(cacheDir: string, repo: string) {
    this.repoDir = join(cacheDir, repo.replace("/", "--"));
  }

  filesDir(commit: string): string {
    return join(this.repoDir, commit, "files");
  }

  modelDir(commit: string): string {
    return join(this.repoDir, commit, "model");
  }

  /** The model dir is renamed into place after model.json is written, so its presence means complete. */
  hasModel(commit: string): boolean {
    return existsSync(join(this.modelDir(commit), MODEL_INFO_FILE));
  }

  /** The commit `revision` resolved to last time, if it was ever asked for. */
  readRef(revision: string): string | undefined {
    const path = join(this.repoDir, "refs", encodeURIComponent(revision));
    return existsSync(path) ? readFileSync(path, "utf8").trim() : undefined;
  }

  writeRef(revision: string, commit: string): void {
    mkdirSync(join(this.repoDir, "refs"), { recursive: true });
    writeFileSync(join(this.repoDir, "refs", encodeURIComponent(revision)), `${commit}\n`);
  }
}
