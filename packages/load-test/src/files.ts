import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { parseResult } from "./results-schema.js";
import type { LoadTestResult } from "./results.js";

/** Reads and validates results files; the error names the file that is missing or malformed. */
export async function readResultFiles(paths: readonly string[]): Promise<LoadTestResult[]> {
  return Promise.all(
    paths.map(async (path) => {
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch {
        throw new Error(`Cannot read results file ${path}: check the path.`);
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new Error(`${path} is not JSON: pass a results file written by \`fleet load\`, \`fleet merge\` or the k6 script.`);
      }
      return parseResult(json, path);
    }),
  );
}

export async function writeResultFile(path: string, result: LoadTestResult): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(result, null, 1) + "\n");
}
