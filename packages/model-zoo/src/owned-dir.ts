import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The marker of a folder the project made and may write into again (a generated or imported model directory). */
export const OWNED_MARKER_FILE = ".inference-fleet-model";

/** True when `dir` is missing, empty, or carries the marker: the only folders generation and import write into. */
function isWritableModelDir(dir: string): boolean {
  if (!existsSync(dir)) return true;
  const entries = readdirSync(dir);
  return entries.length === 0 || entries.includes(OWNED_MARKER_FILE);
}

/**
 * Refuses to write into a folder that holds files the project did not write, so a user's model (an optimum
 * export, a fine-tuned model.onnx) is never overwritten with generated weights.
 */
export function assertWritableModelDir(dir: string, what: string): void {
  if (isWritableModelDir(dir)) return;
  const entries = readdirSync(dir);
  throw new Error(
    `Not writing ${what} into ${dir}: it holds files the project did not write (${entries.slice(0, 5).join(", ")}${entries.length > 5 ? ", ..." : ""}) ` +
      `and no ${OWNED_MARKER_FILE} marker. Choose an empty or new folder (the files there are left as they are).`,
  );
}

/** Marks `dir` as made by the project (after its files are written). */
export function markOwned(dir: string, madeBy: string): void {
  writeFileSync(join(dir, OWNED_MARKER_FILE), `${JSON.stringify({ madeBy, note: "Written by inference-fleet; it may write here again." })}\n`);
}

/** Copies a model directory's files into `toDir` (which must be writable by the rule above) and marks it as ours. */
export function copyModelDir(fromDir: string, toDir: string, madeBy: string): string[] {
  assertWritableModelDir(toDir, "the model");
  mkdirSync(toDir, { recursive: true });
  markOwned(toDir, madeBy);
  const files = readdirSync(fromDir).filter((file) => file !== OWNED_MARKER_FILE);
  for (const file of files) copyFileSync(join(fromDir, file), join(toDir, file));
  return files.map((file) => join(toDir, file));
}
