import { createWriteStream, existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { downloadFile } from "@huggingface/hub";
import { formatBytes, formatSeconds } from "./format.js";
import { HubImportError } from "./hub-errors.js";
import { DEFAULT_HUB_FETCH_TIMEOUTS } from "./hub-settings.js";

export interface HubFile {
  readonly path: string;
  readonly size: number;
}

export interface DownloadContext {
  readonly repo: string;
  readonly commit: string;
  readonly hubUrl: string;
  readonly accessToken?: string;
  readonly fetch: typeof fetch;
  readonly log: (line: string) => void;
  /** The longest pause between chunks of a file (MODEL_FETCH_READ_TIMEOUT_MS) before the download fails. */
  readonly readTimeoutMs?: number;
}

/** Progress lines at most this often per file. */
const PROGRESS_INTERVAL_MS = 2000;

/**
 * Downloads one file at `commit` into `target` (through a .part file, renamed when whole), printing bytes, percent
 * and rate while it runs; a file already there at the listed size is kept. Returns the bytes downloaded.
 */
export async function downloadHubFile(context: DownloadContext, file: HubFile, target: string): Promise<number> {
  if (existsSync(target) && statSync(target).size === file.size) return 0;
  mkdirSync(dirname(target), { recursive: true });
  const blob = await downloadFile({
    repo: { type: "model", name: context.repo },
    path: file.path,
    revision: context.commit,
    hubUrl: context.hubUrl,
    fetch: context.fetch,
    xet: false,
    ...(context.accessToken ? { accessToken: context.accessToken } : {}),
  });
  if (!blob) throw new Error(`${context.repo}@${context.commit} lists ${file.path} but the hub has no such file.`);
  const started = Date.now();
  let done = 0;
  let lastReport = started;
  const partial = `${target}.part`;
  const body = Readable.fromWeb(blob.stream() as import("node:stream/web").ReadableStream<Uint8Array>);
  const readTimeoutMs = context.readTimeoutMs ?? DEFAULT_HUB_FETCH_TIMEOUTS.readTimeoutMs;
  let lastChunk = Date.now();
  const stall = setInterval(
    () => {
      const idle = Date.now() - lastChunk;
      if (idle < readTimeoutMs) return;
      clearInterval(stall);
      const url = `${context.hubUrl}/${context.repo}/resolve/${context.commit}/${file.path}`;
      body.destroy(
        new HubImportError(
          `${url} sent no data for ${formatSeconds(idle)} after ${formatBytes(done)} of ${formatBytes(file.size)} ` +
            `(MODEL_FETCH_READ_TIMEOUT_MS=${readTimeoutMs}); the hub or the network stalled: run the import again, or raise the timeout.`,
        ),
      );
    },
    Math.max(10, Math.min(1000, readTimeoutMs / 10)),
  );
  body.on("close", () => clearInterval(stall));
  body.on("data", (chunk: Buffer) => {
    done += chunk.length;
    const now = Date.now();
    lastChunk = now;
    if (now - lastReport >= PROGRESS_INTERVAL_MS) {
      lastReport = now;
      const rate = done / ((now - started) / 1000);
      context.log(`  ${file.path}: ${formatBytes(done)} of ${formatBytes(file.size)} (${((100 * done) / file.size).toFixed(0)}%), ${formatBytes(rate)}/s`);
    }
  });
  await pipeline(body, createWriteStream(partial));
  if (done !== file.size) throw new Error(`${file.path} arrived with ${done} bytes where the hub lists ${file.size}; run the import again.`);
  renameSync(partial, target);
  context.log(`  ${file.path}: ${formatBytes(file.size)} in ${formatSeconds(Date.now() - started)}`);
  return file.size;
}
