// The slowest requests of a run, kept as they finish: a fixed number (10), slowest first, so the report can
// name them (trace id, server, batch, queue vs inference) and a person can find them in the servers' logs.
import type { SlowRequest } from "./results.js";

const SLOWEST_KEPT = 10;

/** The `count` slowest of `requests`, slowest first. */
export function slowestOf(requests: readonly SlowRequest[], count = SLOWEST_KEPT): SlowRequest[] {
  return [...requests].sort((a, b) => b.latencyMs - a.latencyMs).slice(0, count);
}

/**
 * Keeps the `count` slowest of what it is offered. `admits(latencyMs)` is the cheap question the hot path asks
 * first: only a request that would make the list builds its record.
 */
export class SlowestRequests {
  private readonly kept: SlowRequest[] = [];
  private floorMs = -1;

  constructor(private readonly count = SLOWEST_KEPT) {}

  admits(latencyMs: number): boolean {
    return this.kept.length < this.count || latencyMs > this.floorMs;
  }

  offer(request: SlowRequest): void {
    if (!this.admits(request.latencyMs)) return;
    this.kept.push(request);
    this.kept.sort((a, b) => b.latencyMs - a.latencyMs);
    if (this.kept.length > this.count) this.kept.pop();
    this.floorMs = this.kept.length < this.count ? -1 : this.kept.at(-1)!.latencyMs;
  }

  list(): SlowRequest[] {
    return [...this.kept];
  }
}
