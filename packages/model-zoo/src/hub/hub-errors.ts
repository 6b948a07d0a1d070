import { HubApiError } from "@huggingface/hub";
import { DEFAULT_HUB_FETCH_TIMEOUTS, type HubFetchTimeouts } from "./hub-settings.js";

/** An error of the import that is the user's to fix (unknown repo, revision, unsupported checkpoint): printed without a stack. */
export class HubImportError extends Error {
  override readonly name: string = "HubImportError";
}

/** A hub request that got no answer within MODEL_FETCH_CONNECT_TIMEOUT_MS: the hub is as good as unreachable. */
export class HubTimeoutError extends HubImportError {
  override readonly name = "HubTimeoutError";
}

/**
 * A fetch for @huggingface/hub that remembers each failed answer's X-Error-Code (HubApiError keeps only the
 * status and body), so failures can be told apart: RepositoryNotFound, RevisionNotFound, GatedRepo, EntryNotFound.
 * It also counts the requests, which the import prints, and gives each one `connectTimeoutMs` to answer (its
 * headers), with a line every few seconds while it waits: a hub URL that accepts and never answers fails with
 * the URL and the time waited instead of holding the import (and `fleet local`'s start-up) silently.
 */
export class RecordingFetch {
  requests = 0;
  private readonly codes = new Map<string, string>();

  constructor(
    private readonly timeouts: HubFetchTimeouts = DEFAULT_HUB_FETCH_TIMEOUTS,
    private readonly log: (line: string) => void = () => {},
  ) {}

  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    this.requests += 1;
    const response = await this.answered(input, init);
    const code = response.headers.get("X-Error-Code");
    if (!response.ok && code) this.codes.set(response.url || String(input instanceof Request ? input.url : input), code);
    return response;
  };

  private async answered(input: string | URL | Request, init: RequestInit | undefined): Promise<Response> {
    const url = input instanceof Request ? input.url : String(input);
    const { connectTimeoutMs } = this.timeouts;
    const controller = new AbortController();
    const signal = init?.signal ? AbortSignal.any([init.signal, controller.signal]) : controller.signal;
    const started = Date.now();
    const waited = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
    const progress = setInterval(
      () => this.log(`  still waiting for ${url} to answer: ${waited()} so far; giving up at ${connectTimeoutMs / 1000} s (MODEL_FETCH_CONNECT_TIMEOUT_MS)`),
      Math.min(5000, connectTimeoutMs / 2),
    );
    let deadline: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      deadline = setTimeout(() => {
        const error = new HubTimeoutError(
          `${url} did not answer within ${waited()} (MODEL_FETCH_CONNECT_TIMEOUT_MS=${connectTimeoutMs}); check the network and HF_ENDPOINT, ` +
            "or raise the timeout for a slow hub.",
        );
        controller.abort(error);
        reject(error);
      }, connectTimeoutMs);
    });
    try {
      return await Promise.race([fetch(input, { ...init, signal }), timedOut]);
    } catch (error) {
      throw controller.signal.aborted ? controller.signal.reason : error;
    } finally {
      clearInterval(progress);
      clearTimeout(deadline);
    }
  }

  codeFor(url: string): string | undefined {
    return this.codes.get(url);
  }
}

/** Turns a failed hub call into a sentence that names the problem and what to do. */
export function explainHubError(
  error: unknown,
  context: { repo: string; revision: string; hubUrl: string; hasToken: boolean; recorder: RecordingFetch },
): Error {
  const { repo, revision, hubUrl, hasToken } = context;
  if (error instanceof HubImportError) return error;
  if (error instanceof HubApiError) {
    const code = context.recorder.codeFor(error.url);
    const status = error.statusCode;
    if (code === "RevisionNotFound") {
      return new HubImportError(
        `${repo} has no revision "${revision}" on ${hubUrl} (${status}): use a branch, tag or full commit id that exists (see ${hubUrl}/${repo}/tree/main).`,
      );
    }
    if (code === "GatedRepo" || (status === 403 && code !== "RepositoryNotFound")) {
      const next = hasToken
        ? "the token in HF_TOKEN has no access; accept the model's terms on its page with that account"
        : "accept its terms on its page and set HF_TOKEN to a read token";
      return new HubImportError(`${repo} is gated on ${hubUrl} (${status}): ${next} (${hubUrl}/${repo}).`);
    }
    if (code === "RepositoryNotFound" || status === 401 || status === 404) {
      const next = hasToken ? "" : "; if it is private or gated, set HF_TOKEN to a token that can read it";
      return new HubImportError(`Repository ${repo} not found on ${hubUrl} (${status}${code ? ` ${code}` : ""}): check the id${next}.`);
    }
    return new HubImportError(`The hub at ${hubUrl} answered ${status} for ${error.url}: ${error.message}`);
  }
  if (error instanceof TypeError && /fetch failed/.test(error.message)) {
    const cause = (error as { cause?: { message?: string } }).cause?.message ?? error.message;
    return new HubImportError(
      `Cannot reach the hub at ${hubUrl} (${cause}): check the network or HF_ENDPOINT; a commit imported before is used with --offline or HF_HUB_OFFLINE=1.`,
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}
