import { Readable } from "node:stream";
import type { ReadableStream } from "node:stream/web";
import type { RemoteFile } from "./fetch-model-dir.js";

/** Gets `file` under an https:// model directory URL; 404 means the file is absent. `signal` aborts it (resolveModelSource's deadlines). */
export async function fetchHttpsFile(source: string, file: string, signal?: AbortSignal): Promise<RemoteFile | undefined> {
  const url = `${source.replace(/\/+$/, "")}/${file}`;
  let response: Response;
  try {
    response = await fetch(url, { redirect: "follow", ...(signal ? { signal } : {}) });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw new Error(`Could not fetch ${url}: ${(error as Error).message}. Check the URL and that the server can reach it.`, { cause: error });
  }
  if (response.status === 404) return undefined;
  if (!response.ok || !response.body) throw new Error(`Fetching ${url} answered HTTP ${response.status}; check the URL and its access rights.`);
  const length = Number(response.headers.get("content-length"));
  return {
    body: Readable.fromWeb(response.body as ReadableStream<Uint8Array>),
    ...(Number.isInteger(length) && length > 0 ? { bytes: length } : {}),
  };
}
