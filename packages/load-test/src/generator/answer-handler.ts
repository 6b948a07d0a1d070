// One request through undici's dispatch API, judged by the answer rule (see ../answer.ts): the body is
// collected from the handler's callbacks, with no stream in between (a stream, even one that is only
// dumped, costs more per request than the rest of the generator), checked against its Content-Length
// and the route's JSON, and cut off past MAX_ANSWER_BYTES.
import type { Dispatcher } from "undici";
import { answerError, MAX_ANSWER_BYTES } from "../answer.js";
import { errorKind } from "../request.js";

const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT"]);

/** timeout for undici's timeouts, connection for everything else that ends a request without a response. */
function failureKind(error: unknown): "timeout" | "connection" {
  return TIMEOUT_CODES.has((error as { code?: string }).code ?? "") ? "timeout" : "connection";
}

/** What the response said besides its outcome: filled in as it arrives. */
export interface AnswerMeta {
  /** The Server-Timing header, unparsed (only the slowest requests' are ever read). */
  serverTiming?: string;
}

/** null for a success, else the error kind: http_<status>, timeout, connection, or an answer error kind. */
export type Outcome = string | null;

class AnswerHandler implements Dispatcher.DispatchHandler {
  private status = 0;
  private declared: string | undefined;
  private first: Buffer | undefined;
  private rest: Buffer[] | undefined;
  private bytes = 0;
  private settled = false;

  constructor(
    private readonly resolve: (outcome: Outcome) => void,
    private readonly meta?: AnswerMeta,
  ) {}

  private settle(outcome: Outcome): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve(outcome);
  }

  /** Its presence tells undici this handler uses the current (controller) API. */
  onRequestStart(): void {}

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    this.status = statusCode;
    const length = headers["content-length"];
    this.declared = Array.isArray(length) ? length.join(",") : length;
    if (this.meta) {
      const timing = headers["server-timing"];
      this.meta.serverTiming = Array.isArray(timing) ? timing.join(", ") : timing;
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.bytes > MAX_ANSWER_BYTES) {
      // An endless body (or an error page that never ends): stop reading; the connection is closed.
      this.settle(this.status >= 200 && this.status < 300 ? "body_too_large" : errorKind(this.status, false));
      controller.abort(new Error(`The answer ran past ${MAX_ANSWER_BYTES} bytes.`));
      return;
    }
    if (this.status < 200 || this.status >= 300) return;
    if (this.first === undefined) this.first = chunk;
    else (this.rest ??= [this.first]).push(chunk);
  }

  onResponseEnd(): void {
    if (!(this.status >= 200 && this.status < 300)) return this.settle(errorKind(this.status, false));
    const text = this.rest ? Buffer.concat(this.rest).toString() : (this.first?.toString() ?? "");
    this.settle(answerError(text, this.bytes, this.declared));
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    const kind = failureKind(error);
    // Before the status line: no response at all. After it: the body was cut off (short of its Content-Length, or a chunked one).
    if (this.status === 0 || kind === "timeout") this.settle(kind);
    else if (this.status >= 200 && this.status < 300) this.settle(this.declared === undefined ? "truncated_body" : "length_mismatch");
    else this.settle(errorKind(this.status, false));
  }
}

/** Sends one request and resolves with its outcome (never rejects). */
export function requestAnswer(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions, meta?: AnswerMeta): Promise<Outcome> {
  return new Promise((resolve) => {
    dispatcher.dispatch(options, new AnswerHandler(resolve, meta));
  });
}
