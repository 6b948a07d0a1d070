/**
 * What a session holds beyond its model.onnx bytes (graph, kernels, arena, tensor pool): measured on
 * the tiny model as 19.5 MB of RSS per session for a 16.7 MB file (bench/many-models.ts).
 */
export const SESSION_OVERHEAD_BYTES = 3 * 1024 * 1024;

/**
 * The bytes counted for resident (and loading) models: each model's file plus a per-model overhead,
 * SESSION_OVERHEAD_BYTES or more as measured from the process's RSS after loads.
 */
export class ResidentBudget {
  private files = 0;
  private count = 0;
  /** Evicted models whose sessions are not released yet: their memory is still held. */
  private releasingFiles = 0;
  private releasingCount = 0;
  private overhead = SESSION_OVERHEAD_BYTES;
  private readonly baseRss: number;

  constructor(
    readonly maxBytes: number,
    private readonly measureRssBytes?: () => number,
  ) {
    this.baseRss = measureRssBytes?.() ?? 0;
  }

  /** Bytes counted now: files plus one overhead per model. */
  get bytes(): number {
    return this.files + this.count * this.overhead;
  }

  get overheadBytes(): number {
    return this.overhead;
  }

  /** Whether `extraBytes` more fit under the budget. */
  fits(extraBytes: number): boolean {
    return this.bytes + extraBytes <= this.maxBytes;
  }

  /** What one more model with a file of `fileBytes` adds. */
  costOf(fileBytes: number): number {
    return fileBytes + this.overhead;
  }

  reserve(fileBytes: number): void {
    this.files += fileBytes;
    this.count++;
  }

  release(fileBytes: number): void {
    this.files -= fileBytes;
    this.count--;
  }

  /** An evicted model: no longer resident, but counted by fitsOnceReleased until `released`. */
  releasing(fileBytes: number): void {
    this.release(fileBytes);
    this.releasingFiles += fileBytes;
    this.releasingCount++;
  }

  released(fileBytes: number): void {
    this.releasingFiles -= fileBytes;
    this.releasingCount--;
  }

  /** Whether `extraBytes` more fit with the sessions still being released counted too: what the process really holds. */
  fitsOnceReleased(extraBytes: number): boolean {
    return this.bytes + this.releasingFiles + this.releasingCount * this.overhead + extraBytes <= this.maxBytes;
  }

  /**
   * Measured overhead per model: (RSS now - RSS before any model - model files) / models, smoothed,
   * never below SESSION_OVERHEAD_BYTES. Measured right after a load, it includes that load's garbage,
   * which errs on the side of fewer resident models.
   */
  calibrate(): void {
    if (this.measureRssBytes === undefined || this.count === 0) return;
    const measured = (this.measureRssBytes() - this.baseRss - this.files) / this.count;
    this.overhead = Math.max(SESSION_OVERHEAD_BYTES, Math.round(0.8 * this.overhead + 0.2 * measured));
  }
}
