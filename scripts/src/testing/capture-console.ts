// Test helper: what a CLI command printed, from console.log and console.error (restored by vi.restoreAllMocks).
import { vi } from "vitest";

export function captureConsole(): { out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...args) => void out.push(args.join(" ")));
  vi.spyOn(console, "error").mockImplementation((...args) => void err.push(args.join(" ")));
  return { out: () => out.join("\n"), err: () => err.join("\n") };
}
