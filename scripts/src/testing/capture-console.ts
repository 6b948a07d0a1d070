// Test helper: what a CLI command printed, from console.log and console.error (restored by vi.restoreAllMocks).
import { vi } from "vitest";

export interface CapturedConsole {
  /** Everything printed to console.log / console.error so far, one line per call. */
  readonly outLines: string[];
  readonly errLines: string[];
  out(): string;
  err(): string;
}

export function captureConsole(): CapturedConsole {
  const outLines: string[] = [];
  const errLines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...args) => void outLines.push(args.join(" ")));
  vi.spyOn(console, "error").mockImplementation((...args) => void errLines.push(args.join(" ")));
  return { outLines, errLines, out: () => outLines.join("\n"), err: () => errLines.join("\n") };
}
