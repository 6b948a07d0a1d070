import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** Bytes of abandoned bodies after which a full collection is worth its few tens of milliseconds. */
const THRESHOLD_BYTES = 32 * 1024 * 1024;
/** How long after the last abandoned body to wait: one collection after a burst, not one per client. */
const QUIET_MS = 1000;

/** V8's full collection. Node gives it only under --expose-gc; this turns the flag on for this process. */
function fullCollection(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

/**
 * Gives back the memory of bodies that clients started and never finished. Their buffers are garbage
 * once the connection is gone, but V8 collects old-generation garbage only as the heap grows: after
 * 3,000 slow uploads left, an idle server (or one with light traffic) kept ~1 GB for good. Once a
 * burst of abandoned bodies is over and they add up to THRESHOLD_BYTES, one full collection frees them.
 */
export class AbandonedBodies {
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly collect: () => void = fullCollection(),
    private readonly thresholdBytes = THRESHOLD_BYTES,
  ) {}

  /** A client left with `bytes` of its request read. */
  note(bytes: number): void {
    this.bytes += bytes;
    if (this.bytes < this.thresholdBytes) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.bytes = 0;
      this.collect();
    }, QUIET_MS);
    this.timer.unref();
  }
}
