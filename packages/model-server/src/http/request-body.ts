import type { Context } from "hono";
import { incomingOf } from "./connection.js";
import { InputError } from "./input-error.js";

const JSON_TYPE = /^application\/json\s*(;|$)/i;
const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(;|$)/i;
const MULTIPART_TYPE = /^multipart\/form-data\s*;/i;

const describeType = (type: string) => (type ? JSON.stringify(type) : "none");

/**
 * A request from the wire without Content-Length or Transfer-Encoding has no body (RFC 9112 6.3), like one with
 * Content-Length: 0 (the Node adapter still gives it a body stream). Under app.request() (no Node request) the
 * Request's own body decides.
 */
function hasBody(c: Context): boolean {
  const length = c.req.header("content-length");
  const chunked = c.req.header("transfer-encoding") !== undefined;
  if (incomingOf(c) !== undefined && length === undefined && !chunked) return false;
  return Boolean(c.req.raw.body) && !(length === "0" && !chunked);
}

/** Arrays and objects nested deeper than this are refused (a v2 request needs 4); the Neuron server has the same limit. */
const MAX_JSON_DEPTH = 64;

/** Whether JSON text opens more than `limit` arrays/objects inside one another (brackets inside strings do not count). */
function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 92) i++;
      else if (code === 34) inString = false;
    } else if (code === 34) inString = true;
    else if (code === 91 || code === 123) {
      if (++depth > limit) return true;
    } else if (code === 93 || code === 125) depth--;
  }
  return false;
}

function parseJson(text: string): unknown {
  if (text.trim() === "") return undefined;
  if (text.length > 2 * MAX_JSON_DEPTH && nestsDeeperThan(text, MAX_JSON_DEPTH))
    throw new InputError(`The body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep; send a flatter JSON body.`);
  try {
    return JSON.parse(text);
  } catch {
    // The parser's own message names internals; say what to check instead.
    throw new InputError("The body is not valid JSON; check its quotes, commas and brackets.");
  }
}

/** Reads a JSON body: no body is undefined; a body that is not JSON is 415; bad JSON is 400. */
export async function readJsonBody(c: Context): Promise<unknown> {
  if (!hasBody(c)) return undefined;
  const type = c.req.header("content-type") ?? "";
  if (!JSON_TYPE.test(type)) throw new InputError(`Send the body as JSON with Content-Type: application/json (got ${describeType(type)}).`, 415);
  return parseJson(await c.req.text());
}

async function formFields(c: Context, type: string): Promise<Record<string, string>> {
  if (FORM_TYPE.test(type)) return Object.fromEntries(new URLSearchParams(await c.req.text()));
  let form: FormData;
  try {
    form = await c.req.raw.formData();
  } catch {
    throw new InputError("The multipart/form-data body could not be read; send fields seq_0 and seq_1 with the boundary named in Content-Type.");
  }
  const fields: Record<string, string> = {};
  for (const key of ["seq_0", "seq_1"]) {
    const value = form.get(key);
    if (value !== null) fields[key] = typeof value === "string" ? value : await value.text();
  }
  return fields;
}

/**
 * The body of POST /predictions/{model}: JSON, or the form fields the AWS sample's benchmark client
 * sends in --post mode (application/x-www-form-urlencoded or multipart/form-data with seq_0 and seq_1).
 */
export async function readPredictionBody(c: Context): Promise<unknown> {
  if (!hasBody(c)) return undefined;
  const type = c.req.header("content-type") ?? "";
  if (JSON_TYPE.test(type)) return parseJson(await c.req.text());
  if (FORM_TYPE.test(type) || MULTIPART_TYPE.test(type)) return formFields(c, type);
  throw new InputError(
    "Send seq_0 and seq_1 as JSON (Content-Type: application/json) or as form fields " +
      `(application/x-www-form-urlencoded or multipart/form-data); got ${describeType(type)}.`,
    415,
  );
}
