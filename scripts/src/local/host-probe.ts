// `fleet local --capacity` probes the machine's own speed before its servers start and after its search, so the
// verdict can say when the host moved under the figure (a shared VM's neighbours, other work): measured here, the
// same fixed work ran 1.35x faster in one minute than in another, and the dev fleet's capacity moved with it.
import { describeHostSpeed, hostSpeed, type LoadTestResult } from "@inference-fleet/load-test";

/** Hashes per second on every core now, or undefined when the probes are off (probeSeconds 0). */
export async function probeHostBefore(probeSeconds: number, say: (line: string) => void): Promise<number | undefined> {
  if (!(probeSeconds > 0)) return undefined;
  say(`probing this machine's own speed (${probeSeconds} s of fixed work on every core; loadTest.capacity.hostProbeSeconds: 0 skips it) ...`);
  return hostSpeed(probeSeconds);
}

/** The search's result with the machine's speed before and after it (a second probe now), said in one line. */
export async function withHostSpeedAfter(
  result: LoadTestResult,
  before: number | undefined,
  probeSeconds: number,
  { say, signal }: { say: (line: string) => void; signal?: AbortSignal },
): Promise<LoadTestResult> {
  if (before === undefined || !result.capacity || signal?.aborted) return result;
  const hostSpeedOfRun = { before, after: await hostSpeed(probeSeconds), probeSeconds };
  say(describeHostSpeed(hostSpeedOfRun));
  return { ...result, capacity: { ...result.capacity, hostSpeed: hostSpeedOfRun } };
}
