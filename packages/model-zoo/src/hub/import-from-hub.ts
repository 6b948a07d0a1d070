import { readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { listFiles, modelInfo } from "@huggingface/hub";
import { buildModelFromCheckpoint, checkpointProblem, CONFIG_FILE, HUB_ONNX_FILE } from "../checkpoint/build-from-checkpoint.js";
import { SAFETENSORS_FILE, SAFETENSORS_INDEX_FILE } from "../checkpoint/checkpoint-weights.js";
import { parseCheckpointConfig } from "../checkpoint/hf-config.js";
import { MODEL_INFO_FILE, TOKENIZER_FILE, type ImportedModelInfo } from "../model-info.js";
import { downloadHubFile, type DownloadContext, type HubFile } from "./download.js";
import { explainHubError, HubImportError, HubTimeoutError, RecordingFetch } from "./hub-errors.js";
import { HubCache } from "./hub-cache.js";
import { hubSettingsFromEnv, isCommitSha, parseHubModelId, type HubModelId, type HubSettings } from "./hub-settings.js";
import { formatBytes, formatSeconds } from "./format.js";

/** Small files downloaded when the repo has them (tokenizer.json is required; the others are kept for reference). */
const OPTIONAL_FILES = ["tokenizer_config.json", "special_tokens_map.json", "vocab.txt"];

export interface HubImportOptions extends HubModelId {
  readonly settings: HubSettings;
  readonly log?: (line: string) => void;
  /**
   * A branch or tag imported before is taken at the commit it resolved to then, without asking the hub (stack runs:
   * the second `fleet local` is offline and instant); `fleet model import` leaves this off and asks whether it moved.
   */
  readonly reuseResolvedRevision?: boolean;
}

export interface HubImport {
  /** The model directory in the cache (model.onnx, tokenizer.json, model.json, config.json); never written again. */
  readonly dir: string;
  readonly commit: string;
  readonly info: ImportedModelInfo;
  /** Served from the cache without downloading. */
  readonly cached: boolean;
  /** Requests made to the hub (0 for a cached commit). */
  readonly requests: number;
  readonly downloadedBytes: number;
}

/**
 * Imports a hub model into the cache: resolves the revision to a commit (no request when it is a commit already
 * in the cache, none at all offline), downloads config.json, the tokenizer files and the weights at that commit
 * (model.safetensors, its shards, or the repo's onnx/model.onnx; never pytorch_model.bin) with @huggingface/hub,
 * and builds the model directory. A commit already built is reused as it is.
 */
export async function importFromHub(options: HubImportOptions): Promise<HubImport> {
  const { repo, revision, settings } = options;
  const log = options.log ?? (() => {});
  const cache = new HubCache(settings.cacheDir, repo);
  const recorder = new RecordingFetch(settings.fetchTimeouts, log);
  const reuseRef = settings.offline || options.reuseResolvedRevision === true;
  const cachedCommit = isCommitSha(revision) ? revision : reuseRef ? cache.readRef(revision) : undefined;
  if (cachedCommit && cache.hasModel(cachedCommit)) {
    const shown = `hf://${repo}@${revision}`;
    if (!isCommitSha(revision) && !settings.offline) {
      log(`import: ${shown} is taken at commit ${cachedCommit}, as imported before; \`fleet model import --hf ${repo}@${revision}\` checks for a newer one`);
    }
    return fromCache(cache, cachedCommit, log, shown);
  }
  if (settings.offline) {
    throw new HubImportError(
      `hf://${repo}@${revision} is not in the cache (${cache.repoDir}) and HF_HUB_OFFLINE/--offline forbids asking the hub: import it once online.`,
    );
  }
  const context = { repo, revision, hubUrl: settings.hubUrl, hasToken: settings.accessToken !== undefined, recorder };
  try {
    const credentials = { hubUrl: settings.hubUrl, fetch: recorder.fetch, ...(settings.accessToken ? { accessToken: settings.accessToken } : {}) };
    const commit = isCommitSha(revision) ? revision : await resolveCommitOrCached(cache, repo, revision, credentials, log);
    if (!isCommitSha(revision)) cache.writeRef(revision, commit);
    if (cache.hasModel(commit)) return { ...fromCache(cache, commit, log, `hf://${repo}@${revision}`), requests: recorder.requests };
    log(`import: hf://${repo}@${revision} is commit ${commit}; listing its files on ${settings.hubUrl} ...`);
    const started = Date.now();
    const files = await listRepoFiles(repo, commit, credentials);
    const download: DownloadContext = {
      repo,
      commit,
      hubUrl: settings.hubUrl,
      fetch: recorder.fetch,
      log,
      ...(settings.fetchTimeouts ? { readTimeoutMs: settings.fetchTimeouts.readTimeoutMs } : {}),
      ...(settings.accessToken ? { accessToken: settings.accessToken } : {}),
    };
    const downloadedBytes = await downloadCheckpoint(download, files, cache.filesDir(commit));
    log(`import: downloaded ${formatBytes(downloadedBytes)} in ${formatSeconds(Date.now() - started)} (${recorder.requests} requests)`);
    const built = await buildIntoCache(cache, commit, { repo, revision }, log);
    return { dir: cache.modelDir(commit), commit, info: built, cached: false, requests: recorder.requests, downloadedBytes };
  } catch (error) {
    throw explainHubError(error, context);
  }
}

function fromCache(cache: HubCache, commit: string, log: (line: string) => void, shown: string): HubImport {
  const dir = cache.modelDir(commit);
  const info = JSON.parse(readFileSync(join(dir, MODEL_INFO_FILE), "utf8")) as ImportedModelInfo;
  log(`import: ${shown} (commit ${commit}) from the cache: ${dir}`);
  return { dir, commit, info, cached: true, requests: 0, downloadedBytes: 0 };
}

interface Credentials {
  readonly hubUrl: string;
  readonly fetch: typeof fetch;
  readonly accessToken?: string;
}

async function resolveCommit(repo: string, revision: string, credentials: Credentials): Promise<string> {
  const info = await modelInfo({ name: repo, revision, additionalFields: ["sha"], ...credentials });
  const sha = (info as { sha?: unknown }).sha;
  if (typeof sha !== "string" || !isCommitSha(sha))
    throw new HubImportError(`The hub answered no commit id for ${repo}@${revision}; is HF_ENDPOINT a Hugging Face hub?`);
  return sha;
}

/**
 * The commit a branch or tag points at; when the hub cannot be reached at all (not when it answers an error), the
 * commit it pointed at last time, if that one is built, with a line saying so: a laptop on a train still runs.
 */
async function resolveCommitOrCached(cache: HubCache, repo: string, revision: string, credentials: Credentials, log: (line: string) => void): Promise<string> {
  try {
    return await resolveCommit(repo, revision, credentials);
  } catch (error) {
    const last = cache.readRef(revision);
    // Unreachable: the connection failed (fetch's TypeError), or nothing answered in time.
    if (!(error instanceof TypeError || error instanceof HubTimeoutError) || !last || !cache.hasModel(last)) throw error;
    const cause = error instanceof HubTimeoutError ? error.message : ((error as { cause?: { message?: string } }).cause?.message ?? error.message);
    log(`import: cannot reach ${credentials.hubUrl} (${cause}); using commit ${last}, what ${revision} was when last imported`);
    return last;
  }
}

async function listRepoFiles(repo: string, commit: string, credentials: Credentials): Promise<HubFile[]> {
  const files: HubFile[] = [];
  for await (const entry of listFiles({ repo: { type: "model", name: repo }, revision: commit, recursive: true, ...credentials })) {
    if (entry.type === "file") files.push({ path: entry.path, size: entry.lfs?.size ?? entry.size });
  }
  return files;
}

/** Chooses and downloads what the model needs; refuses before downloading anything when the repo cannot be imported. */
async function downloadCheckpoint(context: DownloadContext, files: readonly HubFile[], into: string): Promise<number> {
  const paths = files.map((f) => f.path);
  const problem = checkpointProblem(paths, context.repo);
  if (problem) throw new HubImportError(problem);
  const byPath = new Map(files.map((f) => [f.path, f]));
  const fetchFile = (path: string) => downloadHubFile(context, byPath.get(path)!, join(into, path));
  let bytes = await fetchFile(CONFIG_FILE);
  // Refuse an unsupported architecture before the weights are downloaded.
  parseCheckpointConfig(JSON.parse(readFileSync(join(into, CONFIG_FILE), "utf8")), `${context.repo}: ${CONFIG_FILE}`);
  for (const path of [TOKENIZER_FILE, ...OPTIONAL_FILES.filter((f) => byPath.has(f))]) bytes += await fetchFile(path);
  const weights = weightFiles(paths, into, fetchFile);
  const total = (await weights.list()).reduce((sum, path) => sum + byPath.get(path)!.size, 0);
  context.log(`import: weights ${formatBytes(total)} (${(await weights.list()).join(", ")})`);
  for (const path of await weights.list()) bytes += await fetchFile(path);
  return bytes;
}

/** The weight files to download: the repo's ONNX export, else model.safetensors, else the shards model.safetensors.index.json lists. */
function weightFiles(paths: readonly string[], into: string, fetchFile: (path: string) => Promise<number>): { list(): Promise<string[]> } {
  let chosen: Promise<string[]> | undefined;
  const choose = async (): Promise<string[]> => {
    if (paths.includes(HUB_ONNX_FILE)) return [HUB_ONNX_FILE];
    if (paths.includes(SAFETENSORS_FILE)) return [SAFETENSORS_FILE];
    await fetchFile(SAFETENSORS_INDEX_FILE);
    const index = JSON.parse(readFileSync(join(into, SAFETENSORS_INDEX_FILE), "utf8")) as { weight_map?: Record<string, string> };
    const shards = [...new Set(Object.values(index.weight_map ?? {}))];
    const missing = shards.filter((shard) => !paths.includes(shard));
    if (shards.length === 0 || missing.length > 0)
      throw new HubImportError(`${SAFETENSORS_INDEX_FILE} lists shards the repo does not have (${missing.join(", ") || "none listed"}).`);
    return shards;
  };
  return { list: () => (chosen ??= choose()) };
}

/** Builds the model dir beside its final place and renames it in, so an interrupted build is never taken for a complete one. */
async function buildIntoCache(cache: HubCache, commit: string, id: HubModelId, log: (line: string) => void): Promise<ImportedModelInfo> {
  const partial = `${cache.modelDir(commit)}.partial`;
  rmSync(partial, { recursive: true, force: true });
  const started = Date.now();
  const filesDir = cache.filesDir(commit);
  const { info, bytes } = await buildModelFromCheckpoint({
    checkpointDir: filesDir,
    outDir: partial,
    source: `hf://${id.repo}`,
    revision: id.revision,
    commit,
    name: id.repo.split("/")[1]!.toLowerCase(),
  });
  renameSync(partial, cache.modelDir(commit));
  const how = info.builtFrom === "safetensors" ? "built from the safetensors weights" : `the repo's own ONNX export (${HUB_ONNX_FILE}), used as it is`;
  const parameters = info.parameters.toLocaleString("en-US");
  const took = formatSeconds(Date.now() - started);
  log(`import: model.onnx ${formatBytes(bytes)}, ${parameters} parameters, ${info.architectureName} (${info.task}), ${how}, in ${took}`);
  return info;
}

/** Imports an `hf://ORG/NAME[@REVISION]` model source with the hub settings of the environment (HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, HF_HOME). */
export function importHubSource(
  source: string,
  log?: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
  options: Pick<HubImportOptions, "reuseResolvedRevision"> = {},
): Promise<HubImport> {
  return importFromHub({ ...parseHubModelId(source), settings: hubSettingsFromEnv(env), ...options, ...(log ? { log } : {}) });
}
