import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { HttpError, retryAfter } from "../http-error.js";

/** Turns a post-run batch waits for closed-loop callers: +6-8% at c=4 on the tiny model (bench, one core). */
const EXTRA_TURNS = 2;

/** The queue is full: answered with 503 and a Retry-After of `retryAfterSeconds`. */
export class QueueFullError extends HttpError {
  constructor(readonly retryAfterSeconds: number) {
    // Reading pauses for the Retry-After too: the clients that were told to wait are not the only ones sending.
    super(`The server is at capacity; retry in ${retryAfterSeconds} s or add servers.`, 503, {
      headers: retryAfter(retryAfterSeconds),
      pauseReadingMs: retryAfterSeconds * 1000,
    });
  }
}

/**
 * The client went away while its request waited for a run: it is dropped from the queue, never computed,
 * and answered (to nobody) with 499.
 */
export class ClientClosedError extends Error {
  constructor() {
    super("The client closed its connection before its request ran; it was dropped from the batch queue.");
    this.name = "ClientClosedError";
  }
}

/** A request did not get its answer within the request timeout: answered with 504. */
export class RequestTimeoutError extends HttpError {
  constructor(timeoutMs: number) {
    super(`The request was not answered within ${timeoutMs} ms; retry, or raise REQUEST_TIMEOUT_MS if the model is slow.`, 504);
  }
}

export interface BatchQueueOptions {
  /** Largest batch; 1 runs each request alone as soon as the session is free (no timer at all). */
  readonly maxBatch: number;
  /** How long the first request of a batch waits for more before running. */
  readonly maxQueueDelayMs: number;
  /** Requests waiting (not yet running) before submit answers QueueFullError. */
  readonly maxQueue: number;
  readonly requestTimeoutMs: number;
  /** Called after each run with its batch size and duration in seconds. */
  readonly onBatch?: (size: number, seconds: number) => void;
  /**
   * Tests only (TEST_HOLD_INFERENCE_FILE): a run waits while this file exists, as a slow model would, so a
   * test can hold a batch running and requests queued behind it without depending on timing.
   */
  readonly holdFile?: string;
}

/** How often a held run looks for its hold file again. */
const HOLD_POLL_MS = 20;

async function waitWhileExists(path: string): Promise<void> {
  while (existsSync(path)) await sleep(HOLD_POLL_MS);
}

/** What a traced request learns of the run it joined (see http/request-trace.ts); filled in by the queue. */
export interface BatchTrace {
  /** The run's id, unique within the server process. */
  batchId?: number;
  batchSize?: number;
  /** From submit to the start of its run. */
  queueMs?: number;
  /** The run's duration (the whole batch's). */
  inferenceMs?: number;
}

/** Runs numbered across every queue in the process, so a batch id names one run of one server. */
let runsStarted = 0;

interface Item<I, O> {
  readonly input: I;
  readonly trace: BatchTrace | undefined;
  readonly submittedAt: number;
  readonly resolve: (output: O) => void;
  readonly reject: (error: unknown) => void;
  timer: NodeJS.Timeout | undefined;
  settled: boolean;
  queued: boolean;
  /** Stops listening to the request's abort signal (set only when submit had one). */
  detach: (() => void) | undefined;
}

/**
 * Dynamic batching in front of one session: at most one run at a time; requests that arrive while it
 * runs, or within maxQueueDelayMs of the first (with 0: in the same turn of the event loop), go
 * together in the next run, up to maxBatch.
 */
export class BatchQueue<I, O> {
  private items: Item<I, O>[] = [];
  private waiting = 0;
  private running = false;
  private delayTimer: NodeJS.Timeout | undefined;
  private sameTurn: NodeJS.Immediate | undefined;
  /** Moving average of a run's duration, for Retry-After. */
  private runMs = 5;
  /** A run started in this turn of the event loop (cleared in the check phase): later submits wait for the next turn. */
  private ranThisTurn = false;

  constructor(
    private readonly runBatch: (inputs: I[]) => Promise<O[]>,
    private readonly options: BatchQueueOptions,
  ) {}

  /** Requests waiting for a run (not counting the one running). */
  get depth(): number {
    return this.waiting;
  }

  get busy(): boolean {
    return this.running || this.waiting > 0;
  }

  /** Whether another request fits; callers check before tokenizing so a rejection costs almost nothing. */
  get full(): boolean {
    return this.waiting >= this.options.maxQueue;
  }

  /** The 503 a full queue answers, with a Retry-After long enough for the waiting requests to run. */
  fullError(): QueueFullError {
    return new QueueFullError(Math.max(1, Math.ceil((this.waiting * this.runMs) / this.options.maxBatch / 1000)));
  }

  /**
   * Queues `input` for the next run. `signal` is the request's: when it aborts (the client went away)
   * while the input still waits, the input leaves the queue uncomputed and the promise rejects with
   * ClientClosedError; once its run has started, the run finishes and the answer goes nowhere.
   * `trace`, when given, is told which run it joined and how long it waited.
   */
  submit(input: I, signal?: AbortSignal, trace?: BatchTrace): Promise<O> {
    if (this.full) return Promise.reject(this.fullError());
    if (signal?.aborted) return Promise.reject(new ClientClosedError());
    return new Promise<O>((resolve, reject) => {
      const submittedAt = trace === undefined ? 0 : performance.now();
      const item: Item<I, O> = { input, trace, submittedAt, resolve, reject, timer: undefined, settled: false, queued: true, detach: undefined };
      item.timer = setTimeout(() => this.expire(item), this.options.requestTimeoutMs);
      if (signal !== undefined) {
        const cancel = () => this.cancel(item);
        signal.addEventListener("abort", cancel, { once: true });
        item.detach = () => signal.removeEventListener("abort", cancel);
      }
      // Timed-out items stay in the array until a flush skips them; drop them if a stalled run lets them pile up.
      if (this.items.length >= 2 * this.options.maxQueue) this.items = this.items.filter((queued) => !queued.settled);
      this.items.push(item);
      this.waiting++;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running) return;
    const { maxBatch, maxQueueDelayMs } = this.options;
    // At most one run per turn from here: an in-thread session runs synchronously, and requests read in
    // one turn running batch after batch would make that turn last (health checks wait behind it).
    if (maxBatch === 1 || this.waiting >= maxBatch) {
      if (this.ranThisTurn) this.flushAfterTurns(0);
      else this.flush();
    }
    // No delay: run right after this turn's I/O, together with every request that arrived in the same turn.
    else if (maxQueueDelayMs === 0) this.flushAfterTurns(0);
    else this.delayTimer ??= setTimeout(() => this.flush(), maxQueueDelayMs);
  }

  /** Flushes in this turn's check phase, or up to `turns` turns later while the batch is not full. */
  private flushAfterTurns(turns: number): void {
    this.sameTurn ??= setImmediate(() => {
      this.sameTurn = undefined;
      if (turns > 0 && this.waiting < this.options.maxBatch) this.flushAfterTurns(turns - 1);
      else this.flush();
    });
  }

  /** The client left: a waiting item leaves the queue (flush skips it); a running one is left to finish. */
  private cancel(item: Item<I, O>): void {
    if (item.settled || !item.queued) return;
    item.settled = true;
    this.waiting--;
    clearTimeout(item.timer);
    item.reject(new ClientClosedError());
  }

  private expire(item: Item<I, O>): void {
    if (item.settled) return;
    item.settled = true;
    item.detach?.();
    // Still queued: it no longer counts as waiting (a running one is already out of the count).
    if (item.queued) this.waiting--;
    item.reject(new RequestTimeoutError(this.options.requestTimeoutMs));
  }

  private flush(): void {
    if (this.delayTimer !== undefined) {
      clearTimeout(this.delayTimer);
      this.delayTimer = undefined;
    }
    if (this.sameTurn !== undefined) {
      clearImmediate(this.sameTurn);
      this.sameTurn = undefined;
    }
    const batch: Item<I, O>[] = [];
    while (batch.length < this.options.maxBatch && this.items.length > 0) {
      const item = this.items.shift()!;
      item.queued = false;
      if (item.settled) continue;
      this.waiting--;
      batch.push(item);
    }
    if (batch.length === 0) return;
    this.running = true;
    if (!this.ranThisTurn) {
      this.ranThisTurn = true;
      setImmediate(() => (this.ranThisTurn = false));
    }
    const started = performance.now();
    const batchId = ++runsStarted;
    for (const item of batch) {
      if (item.trace === undefined) continue;
      item.trace.batchId = batchId;
      item.trace.batchSize = batch.length;
      item.trace.queueMs = started - item.submittedAt;
    }
    let outcome: Promise<O[]>;
    const inputs = batch.map((item) => item.input);
    const { holdFile } = this.options;
    try {
      outcome = holdFile === undefined ? this.runBatch(inputs) : waitWhileExists(holdFile).then(() => this.runBatch(inputs));
    } catch (error) {
      outcome = Promise.reject(error);
    }
    outcome.then(
      (outputs) => this.finish(batch, started, (item, i) => item.resolve(outputs[i]!)),
      (error: unknown) => this.finish(batch, started, (item) => item.reject(error)),
    );
  }

  private finish(batch: Item<I, O>[], started: number, settle: (item: Item<I, O>, index: number) => void): void {
    const ms = performance.now() - started;
    this.runMs = this.runMs * 0.9 + ms * 0.1;
    this.options.onBatch?.(batch.length, ms / 1000);
    batch.forEach((item, index) => {
      if (item.trace !== undefined) item.trace.inferenceMs = ms;
      clearTimeout(item.timer);
      item.detach?.();
      if (item.settled) return;
      item.settled = true;
      settle(item, index);
    });
    this.running = false;
    // Requests that arrived during the run have waited long enough: run them in this turn's check
    // phase, after the answers just settled are written and with whatever else the sockets hold by
    // then. Fewer waiting than were just answered: clients in a closed loop are sending their next
    // requests right now, so give them a couple more turns (tens of microseconds, no timer) to join.
    const extraTurns = this.options.maxQueueDelayMs === 0 && this.waiting < batch.length ? EXTRA_TURNS : 0;
    if (this.waiting > 0) this.flushAfterTurns(extraTurns);
  }
}
