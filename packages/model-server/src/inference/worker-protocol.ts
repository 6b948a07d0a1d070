import type { ExecutionProvider, SessionSettings } from "../model/load-model.js";
import type { RunnerShape } from "./model-session.js";
import type { InferenceRow, RowLogits } from "./session-runner.js";

/** Messages from the main thread to an inference worker; `id` pairs each with its reply. */
export type WorkerRequest =
  | {
      readonly id: number;
      readonly type: "open";
      readonly session: number;
      readonly modelPath: string;
      readonly shape: RunnerShape;
      readonly settings: SessionSettings;
    }
  | { readonly id: number; readonly type: "run"; readonly session: number; readonly rows: readonly InferenceRow[] }
  | { readonly id: number; readonly type: "release"; readonly session: number }
  | { readonly id: number; readonly type: "convert"; readonly modelPath: string; readonly ortPath: string; readonly settings: SessionSettings };

/** Replies from an inference worker (`started`, id 0, once it can take requests). */
export type WorkerReply =
  | { readonly id: number; readonly type: "started" }
  | {
      readonly id: number;
      readonly type: "opened";
      readonly inputNames: readonly string[];
      readonly outputNames: readonly string[];
      readonly executionProvider: ExecutionProvider;
      readonly warnings: readonly string[];
    }
  | { readonly id: number; readonly type: "ran"; readonly rows: readonly RowLogits[] }
  | { readonly id: number; readonly type: "released" }
  | { readonly id: number; readonly type: "converted" }
  | { readonly id: number; readonly type: "failed"; readonly name: string; readonly message: string };
