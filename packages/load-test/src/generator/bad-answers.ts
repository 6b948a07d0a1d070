// Broken answers a load generator must count as errors, written straight to the socket (node:http
// would refuse to send most of them): each with a 200 status, so only the body gives it away.
import type { Socket } from "node:net";

export const BAD_ANSWERS = ["truncated", "endless", "long-length", "short-length", "not-json"] as const;
export type BadAnswer = (typeof BAD_ANSWERS)[number];

const ANSWER = '{"detail":"I think I can"}';
const head = (headers: string) => `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n${headers}\r\n`;

/** Writes `kind` to the socket; every kind but short-length then closes the connection. */
export function writeBadAnswer(kind: BadAnswer, socket: Socket): void {
  switch (kind) {
    case "truncated":
      // A chunked body: 10 bytes of a 1,000-byte chunk, then the connection ends.
      socket.end(head("transfer-encoding: chunked\r\n") + `${(1000).toString(16)}\r\n${ANSWER.slice(0, 10)}`);
      return;
    case "long-length":
      // The whole answer, but Content-Length claims more than was sent.
      socket.end(head(`content-length: ${ANSWER.length + 5}\r\n`) + ANSWER);
      return;
    case "short-length":
      // Content-Length claims less than the answer: the client reads a cut-off body; the rest is garbage on the connection.
      socket.end(head(`content-length: ${ANSWER.length - 5}\r\n`) + ANSWER);
      return;
    case "not-json":
      socket.end(head("content-length: 13\r\n") + "<html>ok</html>".slice(0, 13));
      return;
    case "endless":
      writeEndless(socket);
      return;
  }
}

/** A chunked body that never ends: 64 KiB chunks for as long as the client reads. */
function writeEndless(socket: Socket): void {
  const chunk = Buffer.alloc(64 * 1024, "a");
  const frame = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n")]);
  socket.write(head("transfer-encoding: chunked\r\n"));
  const pump = () => {
    while (!socket.destroyed && socket.write(frame));
  };
  socket.on("drain", pump);
  socket.on("error", () => socket.destroy());
  pump();
}
