// The ORT-format converter's process (see converter-process.ts): converts one model per message, so
// that a conversion's CPU runs at the lowest priority and its memory goes back to the OS with the process.
import type { SessionSettings } from "../model/load-model.js";
import { convertToOrtFormat } from "./ort-format-cache.js";

export interface ConvertRequest {
  readonly id: number;
  readonly modelPath: string;
  readonly ortPath: string;
  readonly settings: SessionSettings;
}

export type ConvertReply = { readonly id: number; readonly ok: true } | { readonly id: number; readonly ok: false; readonly message: string };

if (process.send === undefined) throw new Error("convert-process runs only as a child process with an IPC channel (see converter-process.ts).");
process.on("message", (request: ConvertRequest) => {
  convertToOrtFormat(request.modelPath, request.ortPath, request.settings).then(
    () => process.send!({ id: request.id, ok: true } satisfies ConvertReply),
    (error: unknown) => process.send!({ id: request.id, ok: false, message: error instanceof Error ? error.message : String(error) } satisfies ConvertReply),
  );
});
// The parent going away (or disconnecting when idle) ends this process.
process.on("disconnect", () => process.exit(0));
