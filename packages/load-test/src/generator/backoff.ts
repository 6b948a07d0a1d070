// Capped exponential backoff per server on connection errors: when a server stops accepting
// connections, the generator must not hammer it thousands of times a second (nor count thousands of
// instant failures as if they were load). One attempt (the probe) goes out when the wait is over;
// its failure doubles the wait up to the cap, a success ends the backoff. Clock-free: callers pass
// `now`, so tests drive it with a fake clock.

export interface BackoffOptions {
  /** The first wait after a connection error (default 10 ms). */
  readonly initialMs?: number;
  /** The longest wait (default 1 s): a server that comes back is noticed within this. */
  readonly maxMs?: number;
}

export class ConnectBackoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private delayMs = 0;
  private readyAt = 0;
  private probing = false;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 10;
    this.maxMs = options.maxMs ?? 1000;
  }

  /** Whether the server is being backed off from. */
  get active(): boolean {
    return this.delayMs > 0;
  }

  /**
   * 0 when a request may go out now (while backing off, that request is the one probe), else how many
   * ms to wait before asking again.
   */
  waitMs(now: number): number {
    if (this.delayMs === 0) return 0;
    if (this.probing) return this.delayMs;
    if (now < this.readyAt) return this.readyAt - now;
    this.probing = true;
    return 0;
  }

  /** A request sent at or before `now` failed to connect. Failures of requests sent before the wait began change nothing. */
  failed(now: number): void {
    if (this.delayMs > 0 && !this.probing && now < this.readyAt) return;
    this.delayMs = this.delayMs === 0 ? this.initialMs : Math.min(this.maxMs, this.delayMs * 2);
    this.readyAt = now + this.delayMs;
    this.probing = false;
  }

  /** A request got an answer: the server is back. */
  succeeded(): void {
    this.delayMs = 0;
    this.probing = false;
  }
}
