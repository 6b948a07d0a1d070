// Raw sockets for tests that need what an HTTP client library hides: half-sent requests, clients that
// vanish, connections held open without a request.
import { connect, type Socket } from "node:net";

export function openSocket(port: number, host = "127.0.0.1"): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host, () => resolve(socket));
    socket.on("error", reject);
  });
}

/** Resolves with what the server wrote before the connection closed, and how long that took from now. */
export function untilClosed(socket: Socket): Promise<{ answer: string; ms: number }> {
  const begun = performance.now();
  return new Promise((resolve) => {
    let answer = "";
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString("latin1")));
    socket.on("error", () => {});
    socket.on("close", () => resolve({ answer, ms: performance.now() - begun }));
  });
}

/** The sum of model_server_requests_total over series with this status (and route, when given). */
export function requestCount(metrics: string, status: number, route?: string): number {
  const pattern = new RegExp(`^model_server_requests_total\\{([^}]*)\\} (\\d+)`, "gm");
  let sum = 0;
  for (const [, labels, value] of metrics.matchAll(pattern)) {
    if (!labels!.includes(`status="${status}"`)) continue;
    if (route !== undefined && !labels!.includes(`route="${route}"`)) continue;
    sum += Number(value);
  }
  return sum;
}

/** A histogram's _sum or _count summed over its series (e.g. model_server_batch_size_sum: inferences computed). */
export function metricTotal(metrics: string, name: string): number {
  let sum = 0;
  for (const [, value] of metrics.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, "gm"))) sum += Number(value);
  return sum;
}

/** Polls `check` every 20 ms until it is true, or throws `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
