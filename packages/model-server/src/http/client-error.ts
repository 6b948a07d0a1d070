import type { Server } from "node:http";
import type { Socket } from "node:net";

/** Node's codes for a request it refuses before any handler runs, with the status it answers and a sentence saying what to do. */
const REFUSALS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, "The request's headers are larger than 16384 bytes; send fewer or shorter headers."],
  ERR_HTTP_REQUEST_TIMEOUT: [408, "The request's headers or body did not arrive within the server's deadline; send them at once."],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, "The request's chunk extensions are too large; send the body without them."],
};
const INVALID: [number, string] = [400, "The request is not valid HTTP/1.1; check its request line, headers and body framing."];

/** The smuggling shapes, told apart by llhttp's reason, in the Neuron server's words. */
function refusalOf(error: NodeJS.ErrnoException & { reason?: string }): [number, string] {
  const reason = error.reason ?? "";
  if (/Content-Length/.test(reason) && /Transfer-Encoding/.test(reason))
    return [400, "The request has both Content-Length and Transfer-Encoding; send exactly one of them."];
  if (error.code === "HPE_UNEXPECTED_CONTENT_LENGTH") return [400, "The request has more than one Content-Length header; send exactly one."];
  return REFUSALS[error.code ?? ""] ?? INVALID;
}

/**
 * Answers what Node's HTTP parser refuses (smuggling attempts, oversized headers, deadlines) in the contract's JSON with
 * Connection: close, as the Neuron server does, instead of Node's bodiless default. A socket already answering is only closed.
 */
export function answerClientErrors(server: Server): void {
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    // Node's own check (its socket's current response, _httpMessage): an answer already begun cannot be followed by another.
    const answering = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
    if (error.code === "ECONNRESET" || !socket.writable || answering) {
      socket.destroy();
      return;
    }
    const [status, message] = refusalOf(error);
    refuseOnSocket(socket, status, message);
  });
}

const REASONS: Record<number, string> = { 400: "Bad Request", 408: "Request Timeout", 413: "Payload Too Large", 431: "Request Header Fields Too Large" };

/**
 * Writes the contract's JSON error with Connection: close straight to the socket, for answers no handler can give (the
 * parser refused the request, or its body is late while the handler still reads it), then destroys the socket once the
 * answer is written, as Node does, without waiting for the client to close.
 */
export function refuseOnSocket(socket: Socket, status: number, message: string): void {
  const body = JSON.stringify({ error: message });
  const head = `HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close`;
  socket.end(`${head}\r\n\r\n${body}`, () => socket.destroy());
}
