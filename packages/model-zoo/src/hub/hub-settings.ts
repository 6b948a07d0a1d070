import { homedir } from "node:os";
import { join } from "node:path";

const DEFAULT_HUB_URL = "https://huggingface.co";

/** A model on the hub: ORG/NAME and the revision asked for (a branch, tag or commit; main when none). */
export interface HubModelId {
  readonly repo: string;
  readonly revision: string;
}

const REPO = /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/;

/** Parses `ORG/NAME[@REVISION]` or `hf://ORG/NAME[@REVISION]`. */
export function parseHubModelId(text: string): HubModelId {
  const bare = text.replace(/^hf:\/\//, "");
  const at = bare.indexOf("@");
  const repo = at === -1 ? bare : bare.slice(0, at);
  const revision = at === -1 ? "main" : bare.slice(at + 1);
  if (!REPO.test(repo) || revision === "" || /\s/.test(revision)) {
    throw new Error(
      `"${text}" is not a hub model id: write ORG/NAME or ORG/NAME@REVISION (a branch, tag or commit), e.g. deepset/bert-base-cased-squad2@main.`,
    );
  }
  return { repo, revision };
}

/** True for `hf://...` model sources. */
export function isHubSource(source: string): boolean {
  return source.startsWith("hf://");
}

/** A full 40-hex git commit id: a revision that cannot move, so its cache entry needs no request. */
export function isCommitSha(revision: string): boolean {
  return /^[0-9a-f]{40}$/.test(revision);
}

/** How to reach the hub and where to cache, read once from the environment as the Python tools read it. */
export interface HubSettings {
  /** HF_ENDPOINT (the JS client does not read it; it is passed as hubUrl). */
  readonly hubUrl: string;
  /** HF_TOKEN (or the older HUGGING_FACE_HUB_TOKEN). */
  readonly accessToken?: string;
  /** HF_HUB_OFFLINE=1: only the cache is used. */
  readonly offline: boolean;
  /** $HF_HOME/inference-fleet (HF_HOME defaults to ~/.cache/huggingface): this project's own folder in the hub cache. */
  readonly cacheDir: string;
  /** MODEL_FETCH_CONNECT_TIMEOUT_MS and MODEL_FETCH_READ_TIMEOUT_MS (the model server reads the same); defaults when absent. */
  readonly fetchTimeouts?: HubFetchTimeouts;
}

/** How long a hub request may wait for its answer (the response's headers), and the longest pause in a file's bytes. */
export interface HubFetchTimeouts {
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
}

/** The model server's defaults too: 10 s to answer, 30 s of silence in a download. */
export const DEFAULT_HUB_FETCH_TIMEOUTS: HubFetchTimeouts = { connectTimeoutMs: 10_000, readTimeoutMs: 30_000 };

function timeoutFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 100) throw new Error(`${name} must be a whole number of milliseconds, at least 100; got "${raw}".`);
  return value;
}

export function hubSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): HubSettings {
  const token = env["HF_TOKEN"] || env["HUGGING_FACE_HUB_TOKEN"];
  const home = env["HF_HOME"] || join(homedir(), ".cache", "huggingface");
  return {
    hubUrl: (env["HF_ENDPOINT"] || DEFAULT_HUB_URL).replace(/\/+$/, ""),
    ...(token ? { accessToken: token } : {}),
    offline: ["1", "true", "yes", "on"].includes((env["HF_HUB_OFFLINE"] ?? "").toLowerCase()),
    cacheDir: join(home, "inference-fleet"),
    fetchTimeouts: {
      connectTimeoutMs: timeoutFromEnv(env, "MODEL_FETCH_CONNECT_TIMEOUT_MS", DEFAULT_HUB_FETCH_TIMEOUTS.connectTimeoutMs),
      readTimeoutMs: timeoutFromEnv(env, "MODEL_FETCH_READ_TIMEOUT_MS", DEFAULT_HUB_FETCH_TIMEOUTS.readTimeoutMs),
    },
  };
}
