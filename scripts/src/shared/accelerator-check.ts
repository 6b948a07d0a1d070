// A GPU stack must be measured on the GPU: a server that fell back to CPU turns the verdict into a CPU result priced as a GPU one.
import { executionProviderFor, type FleetConfig } from "@inference-fleet/fleet-config";
import { executionProvidersOf, type LoadTestResult } from "@inference-fleet/load-test";

/** The accelerator provider a stack's processor needs its servers to report; undefined for cpu. */
function expectedProvider(config: FleetConfig): string | undefined {
  const provider = executionProviderFor(config.server.processor);
  return provider === "cpu" ? undefined : provider;
}

/**
 * Why the run must not count, or undefined when every server used the provider the stack asked for
 * (or the stack allows a CPU fallback, or asked for no accelerator). A server that did not say is a
 * failure too: the result could not show which provider it measured.
 */
export function acceleratorFallback(config: FleetConfig, result: Pick<LoadTestResult, "servers" | "targets">): string | undefined {
  const expected = expectedProvider(config);
  if (!expected || config.server.allowCpuFallback) return undefined;
  const reported = executionProvidersOf(result);
  const wrong = result.targets.filter((target) => reported.get(target) !== expected);
  if (wrong.length === 0) return undefined;
  const said = wrong.map((target) => `${target} ${reported.get(target) ? `ran on ${reported.get(target)}` : "did not report its execution provider"}`);
  return (
    `stack ${config.stack} asked for ${expected} (server.processor ${config.server.processor}), but ${said.join("; ")}: ` +
    "the figures would be a CPU result priced as an accelerator's. Check the node's device plugin and driver and the server log, or set " +
    "server.allowCpuFallback: true to keep such a run."
  );
}
