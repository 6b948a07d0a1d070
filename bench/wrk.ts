// What the benchmark scripts share: wrk's summary read into numbers, and a process's own CPU time from /proc.
import { readFileSync } from "node:fs";

export interface WrkSummary {
  readonly requests: number;
  readonly rps: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

function toMs(value: string, unit: string): number {
  return Number(value) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[unit]!;
}

/** Requests, requests/s and wrk's own latency percentiles (ms, `--latency`); an error response fails the bench. */
export function parseWrkOutput(out: string): WrkSummary {
  const pct = (p: string) => {
    const match = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    return match ? toMs(match[1]!, match[2]!) : Number.NaN;
  };
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (errors) throw new Error(`wrk saw ${errors[1]} error responses:\n${out}`);
  return {
    requests: Number(/(\d+) requests in/.exec(out)![1]),
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]),
    p50: pct("50"),
    p90: pct("90"),
    p99: pct("99"),
  };
}

/** User + system CPU time of a process (all its threads) in microseconds, from /proc/<pid>/stat (clock ticks of 10 ms). */
export function cpuTimeUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
}
