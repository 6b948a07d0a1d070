import { createSession, ORT_FORMAT_EXTENSION, type ExecutionProvider, type SessionSettings } from "../model/load-model.js";
import { readModelBytes } from "./model-bytes.js";
import type { NativeSession } from "./native-session.js";
import { SessionRunner, type InferenceRow, type Padding, type RowLogits } from "./session-runner.js";

/** One loaded model ready to run batches, wherever its ONNX Runtime session lives. */
export interface ModelSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** The execution provider ONNX Runtime started for it (cpu after a fallback, whatever was asked). */
  readonly executionProvider: ExecutionProvider;
  run(rows: readonly InferenceRow[]): Promise<RowLogits[]>;
  release(): Promise<void>;
}

/** How a session pads and how long its rows may be. */
export interface RunnerShape {
  readonly padding: Padding;
  readonly maxSeqLength: number;
}

/** Opens sessions: on this thread, or in inference worker threads (see worker-sessions.ts). */
export interface SessionFactory {
  open(modelPath: string, shape: RunnerShape, settings: SessionSettings, warn: (message: string) => void): Promise<ModelSession>;
  close(): Promise<void>;
}

/**
 * Creates the session and its runner on the calling thread (what an inference worker does, and
 * INFERENCE_WORKERS=0). An ORT-format file (see ort-format-cache.ts) is read off the event loop and
 * used in place, so creating its session takes a few milliseconds instead of a full ONNX load.
 */
export async function openLocalSession(
  modelPath: string,
  shape: RunnerShape,
  settings: SessionSettings,
  warn: (message: string) => void,
): Promise<ModelSession> {
  const inPlace = modelPath.endsWith(ORT_FORMAT_EXTENSION) ? await readModelBytes(modelPath) : undefined;
  let session: NativeSession;
  try {
    session = await createSession(inPlace?.bytes ?? modelPath, settings, warn, modelPath);
  } catch (error) {
    inPlace?.free();
    throw error;
  }
  const runner = new SessionRunner(session, shape.padding, shape.maxSeqLength);
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    executionProvider: session.executionProvider,
    // Synchronous: the batch runs in the turn the queue composed it (a throw becomes a rejection).
    run: async (rows) => runner.run(rows),
    release: async () => {
      await session.release();
      inPlace?.free();
    },
  };
}

/** Sessions on the main thread: ONNX Runtime runs and loads block the event loop while they last. */
export const inThreadSessions: SessionFactory = {
  open: openLocalSession,
  close: () => Promise.resolve(),
};
