// What counts as an answer: the one rule the local generator and the k6 script share. A request
// succeeds only when its status is 2xx and its body arrived whole (as many bytes as Content-Length
// said, no more than MAX_ANSWER_BYTES) and parses as the route's answer; anything else is an error
// of its kind, and its latency stays out of the percentiles. Pure, so the k6 script bundles it.

/** A body longer than this is not an inference answer (the seed route's is under 1 KiB): reading stops and the request fails. */
export const MAX_ANSWER_BYTES = 1 << 20;

/** Kinds of failure of a 2xx response whose body is not a whole answer. */
export const ANSWER_ERROR_KINDS = ["truncated_body", "length_mismatch", "body_too_large", "bad_body"] as const;
export type AnswerErrorKind = (typeof ANSWER_ERROR_KINDS)[number];

/** Whether an error kind is one of a 2xx whose body was not the whole answer. */
export function isAnswerError(kind: string | null): kind is AnswerErrorKind {
  return (ANSWER_ERROR_KINDS as readonly (string | null)[]).includes(kind);
}

/**
 * The error kind of a 2xx response whose body was read whole, or null when it is the route's answer:
 * JSON with a string "detail" (the seed-compatible /predictions/{model} route).
 * `contentLength` is the header's value when the server sent one.
 */
export function answerError(body: string, bytesRead: number, contentLength: string | undefined): AnswerErrorKind | null {
  if (bytesRead > MAX_ANSWER_BYTES) return "body_too_large";
  if (contentLength !== undefined && Number(contentLength) !== bytesRead) return "length_mismatch";
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof (parsed as { detail?: unknown } | null)?.detail === "string" ? null : "bad_body";
  } catch {
    return "bad_body";
  }
}
