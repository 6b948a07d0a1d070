import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { MODEL_FILE, MODEL_INFO_FILE, ModelLoadError, TOKENIZER_FILE } from "../load-model.js";
import { awaitAnswer, DEFAULT_FETCH_TIMEOUTS, readDeadline, type FetchTimeouts } from "./fetch-deadlines.js";
import { fetchHttpsFile } from "./https-fetch.js";
import { fetchS3File } from "./s3-fetch.js";

/** One remote file as a stream plus what the store says about it, to check the download against. */
export interface RemoteFile {
  readonly body: Readable;
  /** Size the store announced (Content-Length). */
  readonly bytes?: number;
  /** Base64 SHA-256 the store holds for the object (S3 checksums), if any. */
  readonly sha256Base64?: string;
  /** Hex MD5 when the store's ETag is one (single-part S3 uploads). */
  readonly md5Hex?: string;
}

/** Gets `file` from a remote model directory; undefined when it does not exist there. `signal` aborts the request. */
export type RemoteFetch = (source: string, file: string, signal?: AbortSignal) => Promise<RemoteFile | undefined>;

interface ManifestEntry {
  readonly bytes: number;
  readonly sha256: string;
}
interface Manifest {
  readonly source: string;
  readonly files: Record<string, ManifestEntry>;
}

const MANIFEST = "manifest.json";
const FILES: ReadonlyArray<{ name: string; required: boolean }> = [
  { name: MODEL_FILE, required: true },
  { name: TOKENIZER_FILE, required: true },
  { name: MODEL_INFO_FILE, required: false },
];

const isRemoteSource = (source: string) => /^(s3|https):\/\//.test(source);

const defaultFetch: RemoteFetch = (source, file, signal) =>
  source.startsWith("s3://") ? fetchS3File(source, file, signal) : fetchHttpsFile(source, file, signal);

/**
 * The local directory of a model source: a local path as it is, or an s3:// / https:// model directory
 * fetched once into cacheDir (downloaded to a temporary directory, size and checksums checked,
 * manifest written, then renamed into place, so a half-finished download is never used). Each file's
 * request must be answered within `timeouts.connectTimeoutMs` and its bytes may pause at most
 * `timeouts.readTimeoutMs`, with progress lines while it waits; past either it fails naming the URL.
 */
export async function resolveModelSource(
  source: string,
  cacheDir: string,
  log: (message: string) => void,
  fetchRemote: RemoteFetch = defaultFetch,
  timeouts: FetchTimeouts = DEFAULT_FETCH_TIMEOUTS,
): Promise<string> {
  if (!isRemoteSource(source)) return resolve(source);
  const dir = join(cacheDir, createHash("sha256").update(source).digest("hex").slice(0, 24));
  if (await cacheIsValid(dir, source)) {
    log(`Using the cached copy of ${source} in ${dir}.`);
    return dir;
  }
  await mkdir(cacheDir, { recursive: true });
  const partial = `${dir}.partial-${process.pid}-${randomBytes(4).toString("hex")}`;
  await mkdir(partial);
  try {
    const started = performance.now();
    const files: Record<string, ManifestEntry> = {};
    for (const { name, required } of FILES) {
      const url = `${source.replace(/\/+$/, "")}/${name}`;
      log(`Fetching ${url} ...`);
      const remote = await awaitAnswer(url, timeouts, log, (signal) => fetchRemote(source, name, signal));
      if (remote === undefined) {
        if (required)
          throw new ModelLoadError(
            `The model source ${source} has no ${name}; upload the model directory (${MODEL_FILE}, ${TOKENIZER_FILE}, ${MODEL_INFO_FILE}) there.`,
          );
        continue;
      }
      files[name] = await download(remote, join(partial, name), url, readDeadline(url, timeouts, log, remote.bytes));
    }
    const manifest: Manifest = { source, files };
    await writeFile(join(partial, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    await rm(dir, { recursive: true, force: true });
    await rename(partial, dir).catch(async (error: NodeJS.ErrnoException) => {
      // Another process finished the same download first: keep its copy.
      if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST") throw error;
      await rm(partial, { recursive: true, force: true });
    });
    log(`Fetched ${source} into ${dir} in ${Math.round(performance.now() - started)} ms.`);
    return dir;
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
}

/** Streams a remote file to disk, hashing it on the way, and checks size and checksums. */
async function download(remote: RemoteFile, path: string, label: string, deadline: Transform): Promise<ManifestEntry> {
  const sha256 = createHash("sha256");
  const md5 = createHash("md5");
  let bytes = 0;
  const hasher = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      sha256.update(chunk);
      md5.update(chunk);
      callback(null, chunk);
    },
  });
  await pipeline(remote.body, deadline, hasher, createWriteStream(path));
  const digest = sha256.digest();
  const problems: string[] = [];
  if (remote.bytes !== undefined && remote.bytes !== bytes) problems.push(`got ${bytes} bytes but the store announced ${remote.bytes}`);
  if (remote.sha256Base64 !== undefined && remote.sha256Base64 !== digest.toString("base64")) problems.push("its SHA-256 does not match the store's checksum");
  if (remote.md5Hex !== undefined && remote.md5Hex !== md5.digest("hex")) problems.push("its MD5 does not match the store's ETag");
  if (problems.length > 0)
    throw new ModelLoadError(`The download of ${label} is corrupt: ${problems.join("; ")}. Start again; if it persists, upload the file again.`);
  return { bytes, sha256: digest.toString("hex") };
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(path), hash);
  return hash.digest("hex");
}

/** A cached directory is used only if its manifest is for this source and every file still has its size and hash. */
async function cacheIsValid(dir: string, source: string): Promise<boolean> {
  try {
    const manifest = JSON.parse(await readFile(join(dir, MANIFEST), "utf8")) as Manifest;
    if (manifest.source !== source) return false;
    for (const [name, entry] of Object.entries(manifest.files)) {
      const path = join(dir, name);
      if ((await stat(path)).size !== entry.bytes || (await sha256OfFile(path)) !== entry.sha256) return false;
    }
    return FILES.every(({ name, required }) => !required || name in manifest.files);
  } catch {
    return false;
  }
}
