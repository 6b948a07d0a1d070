import type { Context } from "hono";
import { InputError } from "./input-error.js";

const JSON_TYPE = /^application\/json\s*(;|$)/i;
const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(;|$)/i;
const MULTIPART_TYPE = /^multipart\/form-data\s*;/i;

const describeType = (type: string) => (type ? JSON.stringify(type) : "none");

function hasBody(c: Context): boolean {
  const length = c.req.header("content-length");
  return Boolean(c.req.raw.body) && !(length === "0" && !c.req.header("transfer-encoding"));
}

function parseJson(text: string): unknown {
  if (text.trim() === "") return undefined;
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
