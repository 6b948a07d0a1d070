// W3C Trace Context for the load: every request carries a `traceparent` whose trace id the servers echo, log
// with the batch the request joined, and answer with a Server-Timing header (queue, inference, batch). Pure and
// free of Node imports, so the k6 script bundles it too.
import type { ServerTiming } from "./results-schema.js";

const HEX = "0123456789abcdef";

function randomHex(digits: number, random: () => number): string {
  let out = "";
  for (let i = 0; i < digits; i++) out += HEX[Math.floor(random() * 16)]!;
  return out;
}

/**
 * Trace ids for one run: a random half that names the run and a counter that names the request, so making one costs
 * a string concatenation, ids never repeat within a run and runs do not share ids. The span id is the counter too.
 */
export function traceIds(random: () => number = Math.random): (n: number) => { traceId: string; traceparent: string } {
  let run = randomHex(16, random);
  // An all-zero trace id is invalid (W3C): never start a run's half with sixteen zeros.
  if (/^0+$/.test(run)) run = `1${run.slice(1)}`;
  return (n) => {
    const counter = n.toString(16).padStart(16, "0");
    const traceId = run + counter;
    return { traceId, traceparent: `00-${traceId}-${counter === "0000000000000000" ? "0000000000000001" : counter}-01` };
  };
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The trace id of a valid traceparent header (version 00 layout, ids not all zero), else undefined. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  const match = traceparent === undefined ? null : TRACEPARENT.exec(traceparent.trim().toLowerCase());
  if (!match || match[1] === "ff" || /^0+$/.test(match[2]!) || /^0+$/.test(match[3]!)) return undefined;
  return match[2];
}

/**
 * The breakdown in a Server-Timing header as both servers write it:
 * `queue;dur=0.41, inference;dur=1.12, batch;desc="17", batchsize;desc="4"`. Unknown metrics are ignored;
 * undefined when none of these is there.
 */
export function parseServerTiming(header: string | undefined): ServerTiming | undefined {
  if (!header) return undefined;
  const timing: ServerTiming = {};
  for (const entry of header.split(",")) {
    const [name, ...params] = entry.split(";").map((part) => part.trim());
    const param = (key: string) => {
      const found = params.find((p) => p.toLowerCase().startsWith(`${key}=`));
      return found === undefined ? undefined : found.slice(key.length + 1).replace(/^"(.*)"$/, "$1");
    };
    const dur = Number(param("dur"));
    if (name === "queue" && Number.isFinite(dur) && dur >= 0) timing.queueMs = dur;
    else if (name === "inference" && Number.isFinite(dur) && dur >= 0) timing.inferenceMs = dur;
    else if (name === "batch" && param("desc")) timing.batch = param("desc");
    else if (name === "batchsize") {
      const size = Number(param("desc"));
      if (Number.isInteger(size) && size > 0) timing.batchSize = size;
    }
  }
  return Object.keys(timing).length > 0 ? timing : undefined;
}
