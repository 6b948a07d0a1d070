// An inference worker thread: holds ONNX Runtime sessions and runs their batches, so that neither a
// run nor a model load (both synchronous inside onnxruntime-node) blocks the HTTP event loop.
import { parentPort } from "node:worker_threads";
import { openLocalSession, type ModelSession } from "./model-session.js";
import { convertToOrtFormat } from "./ort-format-cache.js";
import type { RowLogits } from "./session-runner.js";
import type { WorkerReply, WorkerRequest } from "./worker-protocol.js";

const port = parentPort;
if (port === null) throw new Error("session-worker.ts runs only as a worker thread (see worker-sessions.ts).");

const sessions = new Map<number, ModelSession>();

async function handle(request: WorkerRequest): Promise<WorkerReply> {
  switch (request.type) {
    case "open": {
      const warnings: string[] = [];
      const session = await openLocalSession(request.modelPath, request.shape, request.settings, (message) => warnings.push(message));
      sessions.set(request.session, session);
      const { inputNames, outputNames, executionProvider } = session;
      return { id: request.id, type: "opened", inputNames, outputNames, executionProvider, warnings };
    }
    case "run": {
      const session = sessions.get(request.session);
      if (session === undefined) throw new Error(`No session ${request.session} in this worker (released?).`);
      const rows = await session.run(request.rows);
      return { id: request.id, type: "ran", rows };
    }
    case "release": {
      const session = sessions.get(request.session);
      sessions.delete(request.session);
      await session?.release();
      return { id: request.id, type: "released" };
    }
    case "convert":
      await convertToOrtFormat(request.modelPath, request.ortPath, request.settings, { lowPriority: true });
      return { id: request.id, type: "converted" };
  }
}

port.on("message", (request: WorkerRequest) => {
  handle(request).then(
    (reply) => {
      // The logits of a batch share their buffers; handing them over saves copying them back.
      const buffers = (row: RowLogits) => ("logits" in row ? [row.logits.buffer] : [row.start.buffer, row.end.buffer]);
      const transfer = reply.type === "ran" ? [...new Set(reply.rows.flatMap(buffers))] : [];
      port.postMessage(reply, transfer as ArrayBuffer[]);
    },
    (error: unknown) => {
      const { name, message } = error instanceof Error ? error : new Error(String(error));
      port.postMessage({ id: request.id, type: "failed", name, message } satisfies WorkerReply);
    },
  );
});
port.postMessage({ id: 0, type: "started" } satisfies WorkerReply);
