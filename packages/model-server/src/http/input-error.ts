/** The request itself is wrong (shape, type, value): a 400 whose message says what was expected. */
export class InputError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 413 | 415 = 400,
  ) {
    super(message);
    this.name = "InputError";
  }
}
