// One run's sending state: the requests issued and in flight, whether it still sends, and its two ways of sending
// (closed-loop workers, or one open loop on a schedule of due times). runLoad (run-load.ts) sets it up and reports.
import { performance } from "node:perf_hooks";
import { createPicker } from "../choice.js";
import { ResultRecorder } from "../recorder.js";
import { SlowestRequests } from "../slowest.js";
import { parseServerTiming, traceIds } from "../trace.js";
import { requestAnswer, type AnswerMeta } from "./answer-handler.js";
import type { RunLoadOptions } from "./load-options.js";
import { TargetPools } from "./target-pools.js";

/** The run's limits, its options' defaults filled in. */
export interface LoadLimits {
  readonly concurrency: number;
  readonly timeoutMs: number;
  /** Infinity when only the request cap ends the run. */
  readonly durationMs: number;
  readonly maxRequests: number;
  readonly warmupSeconds: number;
}

interface Choice {
  readonly target: number;
  readonly model: number;
}

export class LoadRun {
  readonly epochOffset = performance.timeOrigin;
  readonly startPerf: number;
  readonly warmupEndPerf: number;
  // The deadline is also checked in the loops: a late timer on a busy machine must not add requests.
  readonly endPerf: number;
  readonly recorder: ResultRecorder;
  readonly slowest = new SlowestRequests();
  readonly targets: TargetPools;
  aborted = false;
  private readonly traceOf = traceIds();
  private readonly pick: ReturnType<typeof createPicker>;
  private issued = 0;
  private inFlight = 0;
  private sending = true;
  private drained: () => void = () => {};
  private readonly allDone = new Promise<void>((resolve) => (this.drained = resolve));

  constructor(
    private readonly options: RunLoadOptions,
    private readonly limits: LoadLimits,
  ) {
    this.targets = new TargetPools(options, limits);
    for (const target of options.targets) this.targets.indexOf(target);
    this.pick = createPicker({
      targetCount: options.targets.length,
      modelCount: options.models.length,
      sequential: options.mode === "seq",
      distribution: options.distribution,
      zipfS: options.zipfS,
      routing: options.routing,
      models: options.models,
    });
    this.startPerf = performance.now();
    this.warmupEndPerf = this.startPerf + limits.warmupSeconds * 1000;
    this.endPerf = this.startPerf + limits.durationMs;
    this.recorder = new ResultRecorder(this.epochOffset + this.startPerf, limits.warmupSeconds, {
      targets: options.targets.length,
      models: options.models.length,
    });
  }

  /**
   * Sends until the deadline, the request cap or an abort, then waits for what is in flight. With `dueAt` it is an
   * open loop on that schedule; without, `concurrency` closed-loop workers.
   */
  async run(dueAt?: (n: number) => number): Promise<void> {
    const { concurrency, maxRequests } = this.limits;
    const loops = dueAt ? [this.openLoop(dueAt)] : Array.from({ length: Math.min(concurrency, maxRequests) }, () => this.closedLoopWorker());
    await Promise.race([Promise.all(loops), this.allDone]);
    this.stopSending();
    await this.allDone;
  }

  stopSending(): void {
    this.sending = false;
    if (this.inFlight === 0) this.drained();
  }

  /** Stops at once: requests in flight are dropped and count nowhere. */
  abort(): void {
    this.aborted = true;
    this.stopSending();
    this.drained();
    void this.targets.destroy();
  }

  private finishOne(): void {
    this.inFlight -= 1;
    if (!this.sending && this.inFlight === 0) this.drained();
  }

  // The cap counts measured requests: one in flight may still end in the warm-up and free its place.
  private canSend(): boolean {
    return this.recorder.requests + this.inFlight < this.limits.maxRequests;
  }

  private capReached(): boolean {
    return this.recorder.requests >= this.limits.maxRequests || (!this.canSend() && performance.now() >= this.warmupEndPerf);
  }

  /** Another server for a refused request: one taking load and not backed off from, else undefined. */
  private otherTarget(refusedBy: number, now: number): number | undefined {
    const { loadTargets } = this.options;
    const candidates = loadTargets ? loadTargets.current().map((url) => this.targets.indexOf(url)) : this.targets.urls.map((_, i) => i);
    const ready = candidates.filter((i) => i !== refusedBy && this.targets.backoffs[i]!.waitMs(now) === 0);
    return ready.length === 0 ? undefined : ready[Math.floor(Math.random() * ready.length)];
  }

  /** Sends request number `n` as `choice`; its latency counts from `dueAt` (performance.now() time). */
  private send(choice: Choice, dueAt: number, n: number, retried = false): Promise<void> {
    const { target, model } = choice;
    const { loadTargets } = this.options;
    const url = this.targets.urls[target]!;
    this.inFlight += 1;
    loadTargets?.started(url);
    const { traceId, traceparent } = this.traceOf(n);
    const base = this.targets.requestOptions[target]![model]!;
    const reply: AnswerMeta = {};
    const request = { ...base, headers: { ...(base.headers as Record<string, string>), traceparent } };
    return requestAnswer(this.targets.pools[target]!, request, reply).then((kind) => {
      const now = performance.now();
      if (kind === "connection") this.targets.backoffs[target]!.failed(now);
      else this.targets.backoffs[target]!.succeeded();
      loadTargets?.finished(url);
      const refused = kind === "connection" || (kind === "http_503" && loadTargets !== undefined && !loadTargets.has(url));
      const retryTo = this.options.retryRefused && !retried && refused && !this.aborted ? this.otherTarget(target, now) : undefined;
      if (retryTo !== undefined) {
        // Sent again before this one is let go, so the run cannot look drained in between.
        void this.send({ target: retryTo, model }, dueAt, n, true);
      } else if (!this.aborted) {
        if (kind !== null) this.recorder.recordError(kind, this.epochOffset + now, target, model);
        else this.recordSuccess(choice, now - dueAt, now, { traceId, serverTiming: reply.serverTiming });
      }
      this.finishOne();
    });
  }

  /** Counts a success, and keeps it with its trace and server breakdown when it is among the slowest. */
  private recordSuccess({ target, model }: Choice, latencyMs: number, now: number, trace: { traceId: string; serverTiming?: string }): void {
    if (!this.recorder.recordSuccess(latencyMs, this.epochOffset + now, target, model) || !this.slowest.admits(latencyMs)) return;
    const server = parseServerTiming(trace.serverTiming);
    const at = new Date(this.epochOffset + now).toISOString();
    this.slowest.offer({ traceId: trace.traceId, target: this.targets.urls[target]!, latencyMs, at, ...(server ? { server } : {}) });
  }

  /**
   * Where request `n` goes: the picker's choice, or with changing servers the one taking load with the fewest requests
   * in flight (ties round-robin), as a load balancer's least-outstanding-requests rule: a server that just joined takes
   * load at once, and one that is behind gets less until it catches up.
   */
  private choose(n: number): Choice {
    const choice = this.pick(n, Math.random);
    const { loadTargets } = this.options;
    if (!loadTargets) return choice;
    const current = loadTargets.current();
    let best = current[n % current.length]!;
    let fewest = loadTargets.inFlightTo(best);
    for (let k = 1; k < current.length && fewest > 0; k++) {
      const candidate = current[(n + k) % current.length]!;
      const inFlight = loadTargets.inFlightTo(candidate);
      if (inFlight < fewest) [best, fewest] = [candidate, inFlight];
    }
    return { target: this.targets.indexOf(best), model: choice.model };
  }

  // A worker whose server is being backed off from waits (at most until the deadline), then picks again.
  private async closedLoopWorker(): Promise<void> {
    while (this.sending && this.canSend()) {
      const now = performance.now();
      if (now >= this.endPerf) break;
      const choice = this.choose(this.issued);
      const wait = this.targets.backoffs[choice.target]!.waitMs(now);
      if (wait > 0) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(wait, this.endPerf - now)));
        continue;
      }
      await this.send(choice, now, this.issued++);
    }
  }

  // A request due while its server is backed off from fails at once as a connection error: the
  // offered load still counts, but no connection is attempted.
  private sendOrRefuse(due: number): void {
    const n = this.issued++;
    const choice = this.choose(n);
    if (this.targets.backoffs[choice.target]!.waitMs(performance.now()) === 0) return void this.send(choice, due, n);
    const other = this.options.retryRefused ? this.otherTarget(choice.target, performance.now()) : undefined;
    if (other !== undefined) return void this.send({ target: other, model: choice.model }, due, n);
    if (!this.aborted) this.recorder.recordError("connection", this.epochOffset + performance.now(), choice.target, choice.model);
  }

  /** Sends each request when it comes due (ms after the start), and those that came due while its timer was late. */
  private async openLoop(dueAt: (n: number) => number): Promise<void> {
    while (this.sending && !this.capReached()) {
      const now = performance.now();
      let due = this.startPerf + dueAt(this.issued);
      if (due >= this.endPerf) break;
      while (due <= now && due < this.endPerf && this.sending && this.canSend()) {
        this.sendOrRefuse(due);
        due = this.startPerf + dueAt(this.issued);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
    }
  }
}
