import { describe, expect, it } from "vitest";
import { watchCtrlC } from "./ctrl-c.js";

describe("watchCtrlC", () => {
  it("aborts its signal once on SIGINT, says so once, and stops listening after stop()", () => {
    const lines: string[] = [];
    const before = process.listenerCount("SIGINT");
    const watch = watchCtrlC("stopping", (line) => lines.push(line));
    expect(process.listenerCount("SIGINT")).toBe(before + 1);
    process.emit("SIGINT", "SIGINT");
    process.emit("SIGINT", "SIGINT");
    expect(watch.signal.aborted).toBe(true);
    expect(lines).toEqual(["stopping"]);
    watch.stop();
    expect(process.listenerCount("SIGINT")).toBe(before);
  });

  it("treats an abort of alsoOn like Ctrl-C", () => {
    const interrupt = new AbortController();
    const watch = watchCtrlC("stopping", () => {}, interrupt.signal);
    expect(watch.signal.aborted).toBe(false);
    interrupt.abort();
    expect(watch.signal.aborted).toBe(true);
    watch.stop();
  });
});
