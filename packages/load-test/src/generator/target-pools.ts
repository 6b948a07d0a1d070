import { Pool, type Dispatcher } from "undici";
import { buildRequest } from "../request.js";
import { ConnectBackoff } from "./backoff.js";
import type { RunLoadOptions } from "./load-options.js";

/**
 * Per target, by its index (which only grows as servers join): its keep-alive pool, its request options and its
 * connect backoff.
 */
export class TargetPools {
  readonly urls: string[] = [];
  readonly pools: Pool[] = [];
  // Request options are built once per (server, model): per request only its traceparent is added.
  readonly requestOptions: Dispatcher.DispatchOptions[][] = [];
  readonly backoffs: ConnectBackoff[] = [];
  private readonly indexes = new Map<string, number>();

  constructor(
    private readonly options: RunLoadOptions,
    private readonly limits: { readonly concurrency: number; readonly timeoutMs: number },
  ) {}

  /** The target's index, adding it (pool, request options, backoff) the first time it is seen. */
  indexOf(target: string): number {
    let index = this.indexes.get(target);
    if (index !== undefined) return index;
    index = this.urls.length;
    this.urls.push(target);
    this.indexes.set(target, index);
    const { timeoutMs } = this.limits;
    this.pools.push(
      new Pool(new URL(target).origin, {
        connections: this.limits.concurrency,
        pipelining: 1,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        keepAliveTimeout: 60_000,
      }),
    );
    const { models, texts, method } = this.options;
    this.requestOptions.push(
      models.map((model) => {
        const request = buildRequest(target, model, texts ? "POST" : method, texts);
        const url = new URL(request.url);
        return { path: url.pathname + url.search, method: request.method, headers: request.headers, body: request.body };
      }),
    );
    this.backoffs.push(new ConnectBackoff());
    return index;
  }

  /** Closes every pool, dropping what is in flight; a pool that fails to close is left to the process. */
  async destroy(): Promise<void> {
    await Promise.all(this.pools.map((pool) => pool.destroy().catch(() => {})));
  }
}
