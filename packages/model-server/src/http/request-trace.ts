// W3C Trace Context for each request: the caller's `traceparent` (and `X-Request-Id`) is taken, echoed in the
// response and written in the request's log line with the batch the request joined; without one the server starts
// a trace of its own. The batch queue fills in the batch (see BatchTrace), and the answer carries it in a
// Server-Timing header (queue;dur, inference;dur, batch;desc, batchsize;desc) so a client can see where its time went
// without reading the server's logs.
import { randomUUID } from "node:crypto";
import type { BatchTrace } from "../inference/batch-queue.js";

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
/** Ids a person can grep for: letters, digits and a few separators, at most 128 characters. */
const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

export interface RequestTrace {
  /** The traceparent the response echoes: the caller's when valid, else one the server started. */
  readonly traceparent: string;
  readonly traceId: string;
  /** The caller's X-Request-Id when it is a plain id, else the trace id. */
  readonly requestId: string;
  /** Filled in by the batch queue when the request runs. */
  readonly batch: BatchTrace;
}

function validTraceId(traceparent: string | undefined): string | undefined {
  const match = traceparent === undefined ? null : TRACEPARENT.exec(traceparent.trim().toLowerCase());
  if (!match || match[1] === "ff" || /^0+$/.test(match[2]!) || /^0+$/.test(match[3]!)) return undefined;
  return match[2];
}

/** The trace of one request from its headers. */
export function requestTrace(traceparent: string | undefined, requestId: string | undefined): RequestTrace {
  const given = validTraceId(traceparent);
  const traceId = given ?? randomUUID().replaceAll("-", "");
  const echoed = given !== undefined ? traceparent!.trim().toLowerCase() : `00-${traceId}-${traceId.slice(0, 16)}-01`;
  const id = requestId !== undefined && REQUEST_ID.test(requestId) ? requestId : traceId;
  return { traceparent: echoed, traceId, requestId: id, batch: {} };
}

/** The Server-Timing value for a request that ran, else undefined. */
export function serverTimingHeader(batch: BatchTrace): string | undefined {
  if (batch.batchId === undefined) return undefined;
  const ms = (value: number | undefined) => (value ?? 0).toFixed(3);
  return `queue;dur=${ms(batch.queueMs)}, inference;dur=${ms(batch.inferenceMs)}, batch;desc="${batch.batchId}", batchsize;desc="${batch.batchSize}"`;
}
