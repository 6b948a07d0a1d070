import type { InferenceSession, Tensor } from "onnxruntime-node";
import { binding, initOrt, type Binding } from "onnxruntime-node/dist/binding.js";
import type { ExecutionProvider } from "../model/load-model.js";

/**
 * An ONNX Runtime session driven through onnxruntime-node's native binding, whose run is synchronous.
 * The public `InferenceSession.run` wraps that same call in a Promise and a `setImmediate`, which
 * costs an extra event-loop turn per batch: the batch queue composes a batch from every request read
 * in one turn and runs it right then, so the run belongs in that turn. (onnxruntime-node 1.30 is
 * pinned by the lockfile; its binding types ship in the package.)
 */
export class NativeSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  private released = false;

  private constructor(
    private readonly native: Binding.InferenceSession,
    /** The provider this session was created with (its first; cpu runs only the nodes it cannot). */
    readonly executionProvider: ExecutionProvider,
  ) {
    this.inputNames = native.inputMetadata.map((value) => value.name);
    this.outputNames = native.outputMetadata.map((value) => value.name);
  }

  /**
   * Loads from a path, or from bytes (which the caller keeps alive until release when ORT uses them in place),
   * with `providers` in order of preference; throws when the first cannot start.
   */
  static create(model: string | Uint8Array, options: InferenceSession.SessionOptions, providers: readonly ExecutionProvider[]): NativeSession {
    initOrt();
    const native = new binding.InferenceSession();
    const withProviders = { ...options, executionProviders: [...providers] };
    if (typeof model === "string") native.loadModel(model, withProviders);
    else native.loadModel(model.buffer as ArrayBuffer, model.byteOffset, model.byteLength, withProviders);
    return new NativeSession(native, providers[0] ?? "cpu");
  }

  /** Runs at once on this thread; returns the fetched outputs. */
  run(feeds: Record<string, Tensor>, fetches: Record<string, null>): Record<string, Tensor> {
    if (this.released) throw new Error("The session was released.");
    return this.native.run(feeds, fetches, {}) as Record<string, Tensor>;
  }

  release(): Promise<void> {
    if (!this.released) {
      this.released = true;
      this.native.dispose();
    }
    return Promise.resolve();
  }
}
