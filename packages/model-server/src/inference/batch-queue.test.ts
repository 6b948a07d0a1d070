import { describe, expect, it, vi } from "vitest";
import { BatchQueue, ClientClosedError, QueueFullError, RequestTimeoutError } from "./batch-queue.js";

const options = { maxBatch: 4, maxQueueDelayMs: 5, maxQueue: 8, requestTimeoutMs: 1000 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What `submit` answers within a few turns of the event loop while timers are frozen (fake setTimeout, real
 * setImmediate), or undefined: an answer that waited for any timer (a batching delay) never comes here.
 */
async function answerWithTimersFrozen<T>(submit: () => Promise<T>, turns = 5): Promise<T | undefined> {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  try {
    let answer: T | undefined;
    void submit().then((value) => (answer = value));
    for (let turn = 0; turn < turns && answer === undefined; turn++) await new Promise((resolve) => setImmediate(resolve));
    return answer;
  } finally {
    vi.useRealTimers();
  }
}

describe("BatchQueue", () => {
  it("drops a waiting request whose signal aborts, uncomputed, and lets one already running finish", async () => {
    const batches: number[][] = [];
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const queue = new BatchQueue<number, number>(async (inputs) => (batches.push(inputs), await held, inputs), { ...options, maxBatch: 1 });
    const running = new AbortController();
    const waiting = new AbortController();
    const first = queue.submit(1, running.signal);
    await sleep(10);
    const second = queue.submit(2, waiting.signal);
    const third = queue.submit(3);
    expect(queue.depth).toBe(2);
    running.abort();
    waiting.abort();
    await expect(second).rejects.toBeInstanceOf(ClientClosedError);
    expect(queue.depth).toBe(1);
    release();
    expect(await first).toBe(1);
    expect(await third).toBe(3);
    expect(batches).toEqual([[1], [3]]);
    // A signal already aborted is refused at once.
    await expect(queue.submit(4, waiting.signal)).rejects.toBeInstanceOf(ClientClosedError);
  });

  it("runs requests that arrive within the delay as one batch and answers each with its own result", async () => {
    const batches: number[][] = [];
    const queue = new BatchQueue<number, number>(async (inputs) => (batches.push(inputs), inputs.map((x) => x * 10)), options);
    expect(await Promise.all([1, 2, 3].map((x) => queue.submit(x)))).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it("never runs two batches at once and caps each at maxBatch", async () => {
    let running = 0,
      most = 0;
    const sizes: number[] = [];
    const queue = new BatchQueue<number, number>(
      async (inputs) => {
        most = Math.max(most, ++running);
        sizes.push(inputs.length);
        await sleep(5);
        running--;
        return inputs;
      },
      { ...options, maxQueue: 100 },
    );
    await Promise.all(Array.from({ length: 10 }, (_, i) => queue.submit(i)));
    expect(most).toBe(1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4);
    expect(sizes.reduce((a, b) => a + b)).toBe(10);
  });

  it("with no delay, runs together what arrives in the same turn of the event loop, and a later request at once", async () => {
    const batches: number[][] = [];
    const queue = new BatchQueue<number, number>(async (inputs) => (batches.push(inputs), inputs), { ...options, maxQueueDelayMs: 0 });
    expect(await Promise.all([1, 2, 3].map((x) => queue.submit(x)))).toEqual([1, 2, 3]);
    expect(await answerWithTimersFrozen(() => queue.submit(4))).toBe(4);
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it("with no delay, gives callers just answered a couple of event-loop turns to come back into the next batch", async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const queue = new BatchQueue<number, number>(
      async (inputs) => {
        batches.push(inputs);
        if (batches.length === 1) await gate;
        return inputs;
      },
      { ...options, maxQueueDelayMs: 0 },
    );
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
    // Three callers in a closed loop: each sends its next request one turn after its answer (the network).
    const loops = [1, 2, 3].map((first) => queue.submit(first).then(async () => (await nextTurn(), queue.submit(first + 10))));
    await nextTurn();
    const late = queue.submit(4); // arrives while [1, 2, 3] runs
    release();
    await Promise.all([...loops, late]);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 11, 12, 13],
    ]);
  });

  it("runs at once with maxBatch 1 (no timer)", async () => {
    const queue = new BatchQueue<number, number>(async (inputs) => inputs, { ...options, maxBatch: 1, maxQueueDelayMs: 1000 });
    expect(await answerWithTimersFrozen(() => queue.submit(1))).toBe(1);
  });

  it("refuses past maxQueue with a Retry-After, keeping memory bounded", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const queue = new BatchQueue<number, number>(async (inputs) => (await gate, inputs), { ...options, maxBatch: 1, maxQueue: 2 });
    const running = queue.submit(0);
    const queued = [queue.submit(1), queue.submit(2)];
    const refused = queue.submit(3);
    await expect(refused).rejects.toBeInstanceOf(QueueFullError);
    await expect(refused).rejects.toMatchObject({ retryAfterSeconds: expect.any(Number) });
    release();
    expect(await Promise.all([running, ...queued])).toEqual([0, 1, 2]);
  });

  it("times out a request that waits too long and drops it from the queue", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const ran: number[] = [];
    const queue = new BatchQueue<number, number>(async (inputs) => (ran.push(...inputs), await gate, inputs), {
      ...options,
      maxBatch: 1,
      requestTimeoutMs: 30,
    });
    const first = queue.submit(1);
    const second = queue.submit(2);
    const outcomes = await Promise.allSettled([first, second]);
    expect(outcomes.map((o) => o.status === "rejected" && o.reason instanceof RequestTimeoutError)).toEqual([true, true]);
    expect(queue.depth).toBe(0);
    release();
    await sleep(5);
    expect(ran).toEqual([1]);
  });

  it("rejects a failed batch's callers and keeps serving", async () => {
    let fail = true;
    const queue = new BatchQueue<number, number>(async (inputs) => {
      if (fail) throw new Error("boom");
      return inputs;
    }, options);
    await expect(queue.submit(1)).rejects.toThrow("boom");
    fail = false;
    expect(await queue.submit(2)).toBe(2);
  });
});
