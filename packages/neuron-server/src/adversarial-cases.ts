/**
 * Hostile and malformed requests, written as raw bytes, with what both model servers must answer. One table for the
 * ONNX Runtime (TypeScript) server and the Neuron (Python) server: adversarial.e2e.test.ts runs every case against both.
 * The servers run with HEADERS_TIMEOUT_MS and BODY_TIMEOUT_MS at 1000 (their minimum) so the deadline cases end quickly.
 */

/** A pause before the next write, in ms (for slow clients); an `abort` destroys the socket (the client leaves). */
export type Step = string | Buffer | { readonly pauseMs: number } | { readonly abort: true };

interface Expectation {
  /** The statuses of the answers on this connection, in order; [] is no answer at all. */
  readonly statuses: readonly number[];
  /** Whether the server closes the connection after them (checked by waiting for the close, or for no close). */
  readonly closes: boolean;
  /** The first answer's body is JSON with this one key holding a full sentence (matching `says` when given). */
  readonly error?: { readonly key: "error" | "detail"; readonly says?: RegExp };
  /** Headers of the first answer: the exact value, or null for absent. */
  readonly headers?: Readonly<Record<string, string | null>>;
  /** Answers to HEAD requests (the first `headAnswers` ones): no body, whatever Content-Length says. */
  readonly headAnswers?: number;
  /** The first answer's JSON body, exactly. */
  readonly json?: unknown;
  /** How model_server_requests_total changes, by status (statuses not named must not change for 5xx). */
  readonly counted?: Readonly<Record<string, number>>;
}

export interface AdversarialCase {
  readonly name: string;
  readonly send: readonly Step[];
  readonly expect: Expectation;
}

const CRLF = "\r\n";
/** A request head: request line, Host, then the given header lines. */
export const head = (line: string, ...headers: string[]) => [line, "Host: localhost", ...headers].join(CRLF) + CRLF + CRLF;
const json = (line: string, body: string, ...headers: string[]) =>
  head(line, "Content-Type: application/json", `Content-Length: ${Buffer.byteLength(body)}`, ...headers) + body;
/** A request smuggled inside another's body: if a server answers it, it took the body for a new request. */
const SMUGGLED = head("GET /v2/health/live HTTP/1.1");
const tensor = (name: string, datatype: string, data: unknown[], shape = [1, data.length]) => JSON.stringify({ inputs: [{ name, shape, datatype, data }] });
const nested = (depth: number, open = "[", close = "]") => open.repeat(depth) + close.repeat(depth);
const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}${CRLF}${text}${CRLF}`;
const live = head("GET /v2/health/live HTTP/1.1");

const rejected = (says?: RegExp): Expectation => ({ statuses: [400], closes: true, error: { key: "error", ...(says ? { says } : {}) } });
const badInput = (says: RegExp, key: "error" | "detail" = "error"): Expectation => ({
  statuses: [400],
  closes: false,
  error: { key, says },
  counted: { "400": 1 },
});
/** A GET or HEAD that carries a body: 400 before the body is read, and the connection closes (nothing of it is a request). */
const bodyOnGet = (key: "error" | "detail"): Expectation => ({ statuses: [400], closes: true, error: { key, says: /must not carry a body/ } });
const tooLargeHeaders: Expectation = { statuses: [431], closes: true, error: { key: "error", says: /headers are larger than 16384 bytes/ } };
const timedOut = (what: "headers" | "body"): Expectation => ({
  statuses: [408],
  closes: true,
  error: { key: "error", says: new RegExp(`${what}.* did not arrive within`) },
});

export const ADVERSARIAL_CASES: readonly AdversarialCase[] = [
  // Request smuggling: every ambiguous framing is refused and the connection closed, so nothing smuggled is answered.
  {
    name: "smuggling: Content-Length then Transfer-Encoding",
    send: [
      head("POST /v2/repository/index HTTP/1.1", "Content-Type: application/json", "Content-Length: 5", "Transfer-Encoding: chunked") + "0\r\n\r\n" + SMUGGLED,
    ],
    expect: rejected(/both Content-Length and Transfer-Encoding/),
  },
  {
    name: "smuggling: Transfer-Encoding then Content-Length",
    send: [
      head("POST /v2/repository/index HTTP/1.1", "Transfer-Encoding: chunked", "Content-Length: 40", "Content-Type: application/json") + "0\r\n\r\n" + SMUGGLED,
    ],
    expect: rejected(/both Content-Length and Transfer-Encoding/),
  },
  {
    name: "smuggling: two equal Content-Length headers",
    send: [head("POST /v2/repository/index HTTP/1.1", "Content-Type: application/json", "Content-Length: 2", "Content-Length: 2") + "{}" + SMUGGLED],
    expect: rejected(),
  },
  {
    name: "smuggling: two different Content-Length headers",
    send: [head("POST /v2/repository/index HTTP/1.1", "Content-Type: application/json", "Content-Length: 2", "Content-Length: 40") + "{}" + SMUGGLED],
    expect: rejected(),
  },
  {
    name: "smuggling: a Content-Length list",
    send: [head("POST /v2/repository/index HTTP/1.1", "Content-Type: application/json", "Content-Length: 2, 2") + "{}" + SMUGGLED],
    expect: rejected(),
  },
  {
    name: "smuggling: Transfer-Encoding xchunked with Content-Length",
    send: [
      head("POST /v2/repository/index HTTP/1.1", "Content-Type: application/json", "Transfer-Encoding: xchunked", "Content-Length: 5") + "0\r\n\r\n" + SMUGGLED,
    ],
    expect: rejected(),
  },
  {
    name: "smuggling: Transfer-Encoding chunked, identity",
    send: [head("POST /v2/repository/index HTTP/1.1", "Content-Type: application/json", "Transfer-Encoding: chunked, identity") + "0\r\n\r\n" + SMUGGLED],
    expect: rejected(),
  },
  {
    name: "smuggling: two Transfer-Encoding headers",
    send: [
      head("POST /v2/repository/index HTTP/1.1", "Content-Type: application/json", "Transfer-Encoding: chunked", "Transfer-Encoding: identity") +
        "0\r\n\r\n" +
        SMUGGLED,
    ],
    expect: rejected(),
  },
  {
    name: "smuggling: a space before the colon of Transfer-Encoding",
    send: [
      head("POST /v2/repository/index HTTP/1.1", "Content-Type: application/json", "Transfer-Encoding : chunked", "Content-Length: 5") + "0\r\n\r\n" + SMUGGLED,
    ],
    expect: rejected(),
  },
  {
    name: "smuggling: a chunk size that is not hex",
    send: [head("POST /v2/repository/index HTTP/1.1", "Content-Type: application/json", "Transfer-Encoding: chunked") + "zz\r\n{}\r\n0\r\n\r\n" + SMUGGLED],
    expect: rejected(),
  },
  { name: "malformed: a request line that is not HTTP", send: ["HELLO THERE\r\n\r\n"], expect: rejected() },
  // Node refuses this one itself, with no body: the status and the close are the contract here.
  { name: "malformed: HTTP/1.1 without Host", send: ["GET /v2/health/live HTTP/1.1\r\n\r\n"], expect: { statuses: [400], closes: true } },
  { name: "malformed: a NUL byte in a header value", send: [head("GET /v2/health/live HTTP/1.1", "X-Bad: a\u0000b")], expect: rejected() },
  {
    name: "control: a chunked JSON body is read and answered",
    send: [
      head("POST /v2/repository/index HTTP/1.1", "Content-Type: application/json", "Transfer-Encoding: chunked") +
        chunk('{"ready":') +
        chunk("true}") +
        "0\r\n\r\n",
    ],
    expect: { statuses: [200], closes: false, json: [{ name: "model0", state: "READY", reason: "" }], counted: { "200": 1 } },
  },
  { name: "control: two pipelined requests get two answers", send: [live + live], expect: { statuses: [200, 200], closes: false, counted: { "200": 2 } } },
  {
    name: "control: Expect: 100-continue gets 100 Continue, then the answer",
    send: [head("POST /v2/repository/index HTTP/1.1", "Content-Type: application/json", "Content-Length: 2", "Expect: 100-continue"), { pauseMs: 300 }, "{}"],
    expect: { statuses: [100, 200], closes: false },
  },
  {
    name: "control: HTTP/1.0 is answered and closed",
    send: [head("GET /v2/health/live HTTP/1.0")],
    expect: { statuses: [200], closes: true, json: { live: true } },
  },

  // Header floods: 431 before the app sees anything.
  { name: "header flood: one 100 KB header", send: [head("GET /v2/health/live HTTP/1.1", `X-Big: ${"a".repeat(100_000)}`)], expect: tooLargeHeaders },
  {
    name: "header flood: 5,000 headers",
    send: [head("GET /v2/health/live HTTP/1.1", ...Array.from({ length: 5000 }, (_, i) => `X-H${i}: v`))],
    expect: tooLargeHeaders,
  },
  { name: "header flood: a 20 KB URL", send: [head(`GET /v2/health/live?q=${"a".repeat(20_000)} HTTP/1.1`)], expect: tooLargeHeaders },
  {
    name: "control: 12 KB of headers are answered",
    send: [head("GET /v2/health/live HTTP/1.1", `X-Big: ${"a".repeat(12_000)}`)],
    expect: { statuses: [200], closes: false, json: { live: true } },
  },

  // Slow clients: the header and body deadlines answer 408 and close; a body cut by its deadline is counted 499.
  { name: "slow: headers that never end", send: ["GET /v2/health/live HTTP/1.1\r\nHost: localhost\r\n"], expect: timedOut("headers") },
  {
    name: "slow: headers trickled a byte at a time past the deadline",
    send: ["GET /v2/health/live HTTP/1.1\r\n", ..."X-Slow: abcdefghijklmnop".split("").flatMap((c) => [{ pauseMs: 150 }, c])],
    expect: timedOut("headers"),
  },
  {
    name: "slow: a body that stops short of its Content-Length",
    send: [head("POST /v2/models/model0/infer HTTP/1.1", "Content-Type: application/json", "Content-Length: 100") + '{"inputs"'],
    expect: { ...timedOut("body"), counted: { "499": 1 } },
  },
  {
    name: "slow: a chunked body that never ends",
    send: [head("POST /v2/models/model0/infer HTTP/1.1", "Content-Type: application/json", "Transfer-Encoding: chunked") + chunk('{"inputs"')],
    expect: { ...timedOut("body"), counted: { "499": 1 } },
  },
  {
    name: "slow: headers with a Content-Length and no body",
    send: [head("POST /predictions/model0 HTTP/1.1", "Content-Type: application/json", "Content-Length: 20")],
    expect: { ...timedOut("body"), counted: { "499": 1 } },
  },

  // Deep JSON, huge arrays and prototype keys: a 400 that says what is wrong, no traceback, nothing computed.
  {
    name: "deep JSON: 1,100 nested arrays (2.2 KB)",
    send: [json("POST /v2/models/model0/infer HTTP/1.1", nested(1100))],
    expect: badInput(/nests arrays and objects more than 64 levels deep/),
  },
  {
    name: "deep JSON: 5,000 nested objects",
    send: [json("POST /v2/models/model0/infer HTTP/1.1", '{"a":'.repeat(5000) + "1" + "}".repeat(5000))],
    expect: badInput(/more than 64 levels deep/),
  },
  {
    name: "deep JSON: 3,000 unclosed brackets",
    send: [json("POST /v2/repository/index HTTP/1.1", "[".repeat(3000))],
    expect: badInput(/more than 64 levels deep/),
  },
  {
    name: "deep JSON: on /predictions, in its own error shape",
    send: [json("POST /predictions/model0 HTTP/1.1", `{"seq_0": ${nested(2000)}}`)],
    expect: badInput(/more than 64 levels deep/, "detail"),
  },
  {
    name: "deep JSON: brackets inside strings do not count",
    send: [json("POST /v2/models/model0/infer HTTP/1.1", JSON.stringify({ inputs: "[".repeat(500) }))],
    expect: badInput(/non-empty "inputs" array/),
  },
  {
    name: "huge array: 60,000 token ids in one row",
    send: [json("POST /v2/models/model0/infer HTTP/1.1", tensor("input_ids", "INT64", Array(60_000).fill(1)))],
    expect: badInput(/Sequences may be at most 128 tokens, got 60000/),
  },
  {
    name: "huge array: 20,000 rows",
    send: [json("POST /v2/models/model0/infer HTTP/1.1", tensor("input_ids", "INT64", Array(20_000).fill(1), [20_000, 1]))],
    expect: badInput(/At most 64 sequences per request, got 20000/),
  },
  {
    name: "huge body: 300 KB by Content-Length is refused before it is read",
    send: [json("POST /v2/models/model0/infer HTTP/1.1", tensor("input_ids", "INT64", Array(150_000).fill(1)))],
    expect: { statuses: [413], closes: true, error: { key: "error", says: /larger than 262144 bytes/ }, counted: { "413": 1 } },
  },
  {
    name: "huge body: 10 GB announced, headers only",
    send: [head("POST /predictions/model0 HTTP/1.1", "Content-Type: application/json", "Content-Length: 10000000000")],
    expect: { statuses: [413], closes: true, error: { key: "detail", says: /larger than 262144 bytes/ }, counted: { "413": 1 } },
  },
  {
    name: "huge body: chunked past the limit",
    send: [head("POST /v2/models/model0/infer HTTP/1.1", "Content-Type: application/json", "Transfer-Encoding: chunked") + chunk("[" + "1,".repeat(150_000))],
    expect: { statuses: [413], closes: true, error: { key: "error", says: /larger than 262144 bytes/ }, counted: { "413": 1 } },
  },
  {
    name: "prototype key: an input named __proto__",
    send: [json("POST /v2/models/model0/infer HTTP/1.1", tensor("__proto__", "BYTES", ["x"], [1]))],
    expect: badInput(/^Unknown input __proto__: text requests take BYTES inputs seq_0/),
  },
  {
    name: "prototype key: an input named constructor",
    send: [json("POST /v2/models/model0/infer HTTP/1.1", tensor("constructor", "INT64", [101, 102]))],
    expect: badInput(/^Unknown input constructor: token requests take INT64 inputs/),
  },
  {
    name: "prototype key: an input named toString",
    send: [json("POST /v2/models/model0/infer HTTP/1.1", tensor("toString", "BYTES", ["x"], [1]))],
    expect: badInput(/^Unknown input toString: text requests take BYTES inputs/),
  },
  {
    name: "prototype key: __proto__ in a /predictions body is just an unknown field",
    send: [json("POST /predictions/model0 HTTP/1.1", '{"__proto__": {"seq_0": 5}, "constructor": {"seq_0": 5}, "seq_1": "The sky is blue."}')],
    expect: { statuses: [200], closes: false, counted: { "200": 1 } },
  },

  // Bodies on GET and HEAD, and methods the routes do not take.
  {
    name: "GET with a body that looks like a request: refused, and the body is not a request",
    send: [head("GET /v2/health/live HTTP/1.1", `Content-Length: ${SMUGGLED.length}`) + SMUGGLED],
    expect: bodyOnGet("error"),
  },
  {
    name: "GET with an endless chunked body: refused before the body is read",
    send: [head("GET /v2/health/live HTTP/1.1", "Transfer-Encoding: chunked") + chunk("x".repeat(60_000))],
    expect: bodyOnGet("error"),
  },
  {
    name: "GET on a seed route with a body: refused in the seed's {detail} shape",
    send: [head("GET /predictions/model0 HTTP/1.1", "Content-Length: 5") + "hello"],
    expect: bodyOnGet("detail"),
  },
  {
    name: "HEAD / as GET without a body, then the next request",
    send: [head("HEAD / HTTP/1.1") + live],
    expect: { statuses: [200, 200], closes: false, headAnswers: 1, headers: { "content-type": "application/json" }, counted: { "200": 2 } },
  },
  { name: "HEAD /v2/models/model0", send: [head("HEAD /v2/models/model0 HTTP/1.1")], expect: { statuses: [200], closes: false, headAnswers: 1 } },
  { name: "HEAD of an unknown route", send: [head("HEAD /nothing HTTP/1.1")], expect: { statuses: [404], closes: false, headAnswers: 1 } },
  {
    name: "HEAD on a POST route",
    send: [head("HEAD /v2/models/model0/infer HTTP/1.1")],
    expect: { statuses: [405], closes: false, headAnswers: 1, headers: { allow: "POST" } },
  },
  {
    name: "OPTIONS /",
    send: [head("OPTIONS / HTTP/1.1")],
    expect: {
      statuses: [405],
      closes: false,
      headers: { allow: "GET, HEAD" },
      error: { key: "error", says: /^OPTIONS is not allowed on \/; use GET, HEAD\.$/ },
    },
  },
  {
    name: "PUT on the infer route",
    send: [head("PUT /v2/models/model0/infer HTTP/1.1", "Content-Length: 0")],
    expect: { statuses: [405], closes: false, headers: { allow: "POST" }, error: { key: "error", says: /use POST\.$/ } },
  },
  {
    name: "DELETE on liveness",
    send: [head("DELETE /v2/health/live HTTP/1.1")],
    expect: { statuses: [405], closes: false, headers: { allow: "GET, HEAD" }, error: { key: "error", says: /^DELETE is not allowed/ } },
  },
  {
    name: "POST /v2/repository/index without a body lists the models",
    send: [head("POST /v2/repository/index HTTP/1.1")],
    expect: { statuses: [200], closes: false, json: [{ name: "model0", state: "READY", reason: "" }] },
  },
  {
    name: "POST /v2/repository/index with an empty body lists the models",
    send: [head("POST /v2/repository/index HTTP/1.1", "Content-Length: 0")],
    expect: { statuses: [200], closes: false, json: [{ name: "model0", state: "READY", reason: "" }] },
  },
  {
    name: "POST infer without a body says what to send",
    send: [head("POST /v2/models/model0/infer HTTP/1.1")],
    expect: badInput(/^The body must be a JSON object with a non-empty "inputs" array/),
  },

  // Clients that leave: nothing answered, nothing computed; a request cut in its body is counted 499.
  { name: "abort: mid request line", send: ["GET /v2/hea", { pauseMs: 100 }, { abort: true }], expect: { statuses: [], closes: true, counted: {} } },
  {
    name: "abort: mid headers",
    send: ["GET /v2/health/live HTTP/1.1\r\nHost: local", { pauseMs: 100 }, { abort: true }],
    expect: { statuses: [], closes: true, counted: {} },
  },
  {
    name: "abort: mid body",
    send: [head("POST /v2/models/model0/infer HTTP/1.1", "Content-Type: application/json", "Content-Length: 100") + '{"inp', { pauseMs: 200 }, { abort: true }],
    expect: { statuses: [], closes: true, counted: { "499": 1 } },
  },
  {
    name: "abort: mid chunked body",
    send: [
      head("POST /predictions/model0 HTTP/1.1", "Content-Type: application/json", "Transfer-Encoding: chunked") + chunk('{"seq_0"'),
      { pauseMs: 200 },
      { abort: true },
    ],
    expect: { statuses: [], closes: true, counted: { "499": 1 } },
  },
];

/** Tests beside the table (they need a held model run, or many connections), run against both servers in the same file. */
export const DROPPED_WORK = "a request whose client left is counted 499, and one still queued never runs";
export const PROBES_NOT_STARVED = "answers 30 of 30 liveness probes on the health port while 300 idle connections are open";
