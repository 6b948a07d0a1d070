import { connect, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { Step } from "./adversarial-cases.js";

interface RawAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export interface RawExchange {
  readonly answers: readonly RawAnswer[];
  /** Whether the server closed the connection (before `settleMs` passed after the expected answers). */
  readonly closed: boolean;
}

/** Parses whole HTTP/1.1 answers off the front of `data`; the first `headAnswers` final ones have no body (answers to HEAD). */
function parseAnswers(data: Buffer, headAnswers = 0, closed = false): RawAnswer[] {
  const answers: RawAnswer[] = [];
  let at = 0;
  for (;;) {
    const end = data.indexOf("\r\n\r\n", at);
    if (end < 0) return answers;
    const [statusLine, ...lines] = data.subarray(at, end).toString("latin1").split("\r\n");
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? "")?.[1]);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(":");
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let bodyStart = end + 4;
    let body: Buffer;
    // No body: an interim answer (100 Continue), an answer to HEAD, 204 and 304.
    if (status < 200 || answers.filter((a) => a.status >= 200).length < headAnswers || status === 204 || status === 304) {
      body = Buffer.alloc(0);
    } else if (headers["transfer-encoding"]?.toLowerCase() === "chunked") {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = data.indexOf("\r\n", bodyStart);
        if (lineEnd < 0) return answers;
        const size = parseInt(data.subarray(bodyStart, lineEnd).toString("latin1"), 16);
        if (data.length < lineEnd + 2 + size + 2) return answers;
        parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
        bodyStart = lineEnd + 2 + size + 2;
        if (size === 0) break;
      }
      body = Buffer.concat(parts);
    } else if (headers["content-length"] !== undefined) {
      const length = Number(headers["content-length"]);
      if (data.length < bodyStart + length) return answers;
      body = data.subarray(bodyStart, bodyStart + length);
      bodyStart += length;
    } else {
      if (!closed) return answers;
      body = data.subarray(bodyStart);
      bodyStart = data.length;
    }
    answers.push({ status, headers, body });
    at = bodyStart;
  }
}

/**
 * Writes `steps` to a new connection to `port` and reads what comes back: until the server closes the connection, or
 * until `expected` answers have arrived and `settleMs` more passed without a close, or `limitMs` in all.
 */
export async function exchange(
  port: number,
  steps: readonly Step[],
  options: { expected: number; headAnswers?: number; settleMs?: number; limitMs?: number },
): Promise<RawExchange> {
  const { expected, headAnswers = 0, settleMs = 400, limitMs = 15_000 } = options;
  const socket: Socket = connect({ port, host: "127.0.0.1" });
  const chunks: Buffer[] = [];
  let closed = false;
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  socket.on("error", () => {}); // a reset after the server's answer is the server closing
  const closedPromise = new Promise<void>((resolve) => socket.once("close", () => ((closed = true), resolve())));
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  let aborted = false;
  for (const step of steps) {
    if (closed) break;
    if (typeof step === "string" || Buffer.isBuffer(step)) {
      await new Promise<void>((resolve) => socket.write(step, () => resolve()));
    } else if ("pauseMs" in step) {
      await sleep(step.pauseMs);
    } else {
      socket.destroy();
      aborted = true;
    }
  }
  const started = Date.now();
  let settledSince: number | undefined;
  while (!closed && Date.now() - started < limitMs) {
    const count = parseAnswers(Buffer.concat(chunks), headAnswers).length;
    if (count >= expected) {
      settledSince ??= Date.now();
      if (Date.now() - settledSince >= settleMs) break;
    }
    await Promise.race([closedPromise, sleep(25)]);
  }
  if (!closed) socket.destroy();
  return { answers: parseAnswers(Buffer.concat(chunks), headAnswers, closed), closed: closed && !aborted ? true : aborted };
}

/** Opens `count` connections to `port` that send nothing, and resolves once all are connected. */
export async function idleConnections(port: number, count: number): Promise<Socket[]> {
  return Promise.all(
    Array.from({ length: count }, () => {
      const socket = connect({ port, host: "127.0.0.1" });
      socket.on("error", () => {});
      return new Promise<Socket>((resolve, reject) => socket.once("connect", () => resolve(socket)).once("error", reject));
    }),
  );
}
