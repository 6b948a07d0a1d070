import { HttpError } from "../http-error.js";

/** The request itself is wrong (shape, type, value): a 400 whose message says what was expected. */
export class InputError extends HttpError {
  constructor(message: string, status: 400 | 413 | 415 = 400) {
    // 413: the rest of the body is not read, so the connection closes after the answer (nothing of it is taken for a request).
    super(message, status, status === 413 ? { headers: { Connection: "close" } } : {});
  }
}
