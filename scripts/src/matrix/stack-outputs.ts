import type { StackOutputs } from "./workspace.js";

/**
 * The stack outputs the matrix reads after `up`. infra/ exports them under these names; the load-test
 * Job writes one results JSON per k6 pod under `resultsUri` (s3://bucket/prefix/ of this run).
 */
export const LOAD_TEST_OUTPUT_NAMES = {
  kubeconfig: "kubeconfig",
  namespace: "loadTestNamespace",
  jobName: "loadTestJobName",
  resultsUri: "resultsUri",
} as const;

export interface LoadTestLocation {
  /** Kubeconfig of the cluster, as YAML or JSON text. */
  readonly kubeconfig: string;
  readonly namespace: string;
  readonly jobName: string;
  /** s3://bucket/prefix/ where this run's result files land. */
  readonly resultsUri: string;
}

/** Reads where the load-test Job runs and writes from a stack's outputs; names every missing output. */
export function readLoadTestLocation(stackName: string, outputs: StackOutputs): LoadTestLocation {
  const missing: string[] = [];
  const text = (name: string): string => {
    const value = outputs[name];
    if (typeof value === "string" && value.length > 0) return value;
    if (value && typeof value === "object") return JSON.stringify(value);
    missing.push(name);
    return "";
  };
  const location = {
    kubeconfig: text(LOAD_TEST_OUTPUT_NAMES.kubeconfig),
    namespace: text(LOAD_TEST_OUTPUT_NAMES.namespace),
    jobName: text(LOAD_TEST_OUTPUT_NAMES.jobName),
    resultsUri: text(LOAD_TEST_OUTPUT_NAMES.resultsUri),
  };
  if (missing.length > 0) {
    throw new Error(
      `Stack ${stackName} has no output ${missing.join(", ")}: the matrix needs ${Object.values(LOAD_TEST_OUTPUT_NAMES).join(", ")} from infra/ (run ` +
        `\`pulumi stack output --stack ${stackName}\` to see what it has).`,
    );
  }
  return location;
}
