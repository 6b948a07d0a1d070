// The servers an open-loop run spreads its load over, when that set changes during the run (`fleet local
// --autoscale`): a server joins once it is ready; a server leaves by draining: it gets no new requests at once,
// and whoever removes it waits until none of its requests is in flight before stopping it, so none is lost.

export class LoadTargets {
  /** Every target the run has sent to, in the order they joined: result indexes are positions here. */
  private readonly seen: string[] = [];
  private active: string[] = [];
  private readonly inFlight = new Map<string, number>();
  private readonly idleWaiters = new Map<string, (() => void)[]>();

  constructor(initial: readonly string[]) {
    if (initial.length === 0) throw new Error("Start the load with at least one target URL; servers can join later, but not from none.");
    for (const target of initial) this.add(target);
  }

  /** A ready server joins: new requests may go to it from now on. */
  add(target: string): void {
    if (this.active.includes(target)) return;
    if (!this.seen.includes(target)) this.seen.push(target);
    this.active = [...this.active, target];
  }

  /**
   * Takes a server out of the load: no new request goes to it from now on. Resolves once none of its requests is in
   * flight (the caller then stops it). The last server cannot leave: the load would have nowhere to go.
   */
  drain(target: string): Promise<void> {
    if (!this.active.includes(target)) return this.idle(target);
    if (this.active.length === 1) return Promise.reject(new Error(`${target} is the last server taking load; add another before draining it.`));
    this.active = this.active.filter((t) => t !== target);
    return this.idle(target);
  }

  private idle(target: string): Promise<void> {
    if ((this.inFlight.get(target) ?? 0) === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.set(target, [...(this.idleWaiters.get(target) ?? []), resolve]));
  }

  /** The servers new requests may go to now. */
  current(): readonly string[] {
    return this.active;
  }

  /** Every server that has taken load, in the order it joined. */
  all(): readonly string[] {
    return this.seen;
  }

  /** Whether new requests may go to `target`. */
  has(target: string): boolean {
    return this.active.includes(target);
  }

  /** Requests in flight to `target` now (as the generator counts them). */
  inFlightTo(target: string): number {
    return this.inFlight.get(target) ?? 0;
  }

  /** The generator sent a request to `target`. */
  started(target: string): void {
    this.inFlight.set(target, (this.inFlight.get(target) ?? 0) + 1);
  }

  /** A request to `target` finished (answered, failed or timed out). */
  finished(target: string): void {
    const left = (this.inFlight.get(target) ?? 1) - 1;
    this.inFlight.set(target, left);
    if (left > 0) return;
    const waiters = this.idleWaiters.get(target);
    this.idleWaiters.delete(target);
    for (const resolve of waiters ?? []) resolve();
  }
}
