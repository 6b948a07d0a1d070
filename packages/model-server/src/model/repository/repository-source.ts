import { readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { DEFAULT_FETCH_TIMEOUTS, type FetchTimeouts } from "../fetch/fetch-deadlines.js";
import { ModelLoadError } from "../load-model.js";
import { resolveModelSource } from "../fetch/fetch-model-dir.js";
import { listS3Subdirectories } from "../fetch/s3-fetch.js";

/** A model name is one path segment of safe characters, so a name can never reach outside the repository. */
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

function isValidModelName(name: string): boolean {
  return MODEL_NAME.test(name) && !name.includes("..");
}

/** Where a repository's models are: their names, and each one's local directory (fetched first if remote). */
export interface RepositorySource {
  readonly location: string;
  list(): Promise<string[]>;
  modelDir(name: string): Promise<string>;
}

/**
 * A model repository: a local directory or an s3://bucket/prefix whose subdirectories are model
 * directories, named by the subdirectory. Remote models are fetched into cacheDir on first use.
 */
export function repositorySource(
  location: string,
  cacheDir: string,
  log: (message: string) => void,
  timeouts: FetchTimeouts = DEFAULT_FETCH_TIMEOUTS,
): RepositorySource {
  const remote = location.startsWith("s3://");
  if (/^https:\/\//.test(location))
    throw new ModelLoadError(`MODEL_REPO ${location} is an https:// URL, which cannot be listed; use a local directory or an s3://bucket/prefix.`);
  const root = remote ? location.replace(/\/+$/, "") : resolve(location);
  return {
    location: root,
    async list() {
      let entries: string[];
      if (remote) entries = await listS3Subdirectories(`${root}/`);
      else {
        const dirents = await readdir(root, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
          throw new ModelLoadError(
            `The model repository ${root} cannot be read (${error.code ?? error.message}); point MODEL_REPO at a directory of model directories (npx fleet ` +
              `model generate-many makes one).`,
          );
        });
        entries = dirents.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
      }
      const names = entries.filter(isValidModelName).sort(byNaturalOrder);
      if (names.length === 0)
        throw new ModelLoadError(
          `The model repository ${root} has no model subdirectories; put one directory per model there (npx fleet model generate-many makes them).`,
        );
      return names;
    },
    modelDir(name) {
      return remote ? resolveModelSource(`${root}/${name}`, cacheDir, log, undefined, timeouts) : Promise.resolve(join(root, name));
    },
  };
}

/** model2 before model10, as people expect of generated names. */
function byNaturalOrder(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}
