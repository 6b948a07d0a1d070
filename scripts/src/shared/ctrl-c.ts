// One way for long commands to turn Ctrl-C into an AbortSignal: the command says what stops and what
// is kept, its work watches the signal, and the handler is removed when the command is done.

export interface CtrlCWatch {
  readonly signal: AbortSignal;
  /** Removes the handlers; the signal keeps its state, so the command can still ask whether it was interrupted. */
  stop(): void;
}

/** Watches SIGINT (and `alsoOn`, which tests abort instead of sending a signal) until stop(); logs `message` on the first. */
export function watchCtrlC(message: string, log: (line: string) => void, alsoOn?: AbortSignal): CtrlCWatch {
  const abort = new AbortController();
  const onInterrupt = () => {
    if (abort.signal.aborted) return;
    log(message);
    abort.abort(new Error("Interrupted by Ctrl-C"));
  };
  process.on("SIGINT", onInterrupt);
  alsoOn?.addEventListener("abort", onInterrupt, { once: true });
  return {
    signal: abort.signal,
    stop() {
      process.off("SIGINT", onInterrupt);
      alsoOn?.removeEventListener("abort", onInterrupt);
    },
  };
}
