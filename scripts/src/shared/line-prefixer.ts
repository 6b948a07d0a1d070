/**
 * Turns output chunks into whole lines, each starting with `[prefix] `, so the output of stacks
 * running side by side stays readable. Call the returned `flush` at the end for a last partial line.
 */
export function linePrefixer(prefix: string, writeLine: (line: string) => void): { write: (chunk: string) => void; flush: () => void } {
  let pending = "";
  return {
    write(chunk) {
      const lines = (pending + chunk).split(/\r?\n/);
      pending = lines.pop()!;
      for (const line of lines) writeLine(`[${prefix}] ${line}`);
    },
    flush() {
      if (pending) writeLine(`[${prefix}] ${pending}`);
      pending = "";
    },
  };
}
