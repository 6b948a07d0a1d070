// Reads a response body the way the answer rule needs it (see ../answer.ts): whole, capped, and
// checked against its Content-Length and the route's JSON. Event listeners rather than an async
// iterator: one small chunk per answer is the common case, and this is on the hot path.
import type { Dispatcher } from "undici";
import { answerError, MAX_ANSWER_BYTES, type AnswerErrorKind } from "../answer.js";

const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT"]);

/** timeout for undici's timeouts, connection for everything else that ends a request without a response. */
export function failureKind(error: unknown): "timeout" | "connection" {
  return TIMEOUT_CODES.has((error as { code?: string }).code ?? "") ? "timeout" : "connection";
}

/** Resolves with null when the body is the route's whole answer, else with the kind of error it is. Never rejects. */
export function readAnswer(body: Dispatcher.ResponseData["body"], contentLength: string | string[] | undefined): Promise<AnswerErrorKind | "timeout" | null> {
  return new Promise((resolve) => {
    let first: Buffer | undefined;
    let rest: Buffer[] | undefined;
    let bytes = 0;
    body.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_ANSWER_BYTES) {
        body.destroy();
        resolve("body_too_large");
      } else if (first === undefined) first = chunk;
      else (rest ??= [first]).push(chunk);
    });
    body.on("end", () => {
      const text = rest ? Buffer.concat(rest).toString() : (first?.toString() ?? "");
      resolve(answerError(text, bytes, Array.isArray(contentLength) ? contentLength.join(",") : contentLength));
    });
    // Cut off: short of a Content-Length is a length mismatch, a chunked body is truncated.
    body.on("error", (error) => resolve(failureKind(error) === "timeout" ? "timeout" : contentLength === undefined ? "truncated_body" : "length_mismatch"));
  });
}
