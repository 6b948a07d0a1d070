import type { LoadTestResult } from "@inference-fleet/load-test";
import { pricingLabels } from "@inference-fleet/reports";
import { UsageError } from "../command.js";

// --as and --usd-per-hour, shared by `fleet local`, `fleet report` and `fleet merge`: what the
// measured machine stands for, so the report can price it (a local run has no instance type of its own).

export const priceOptions = {
  as: {
    type: "string",
    valueName: "INSTANCE_TYPE",
    description: "Price the run as this EC2 instance type (on-demand, from the catalog), e.g. --as c7i.large.",
  },
  "usd-per-hour": {
    type: "string",
    valueName: "USD",
    description: "Price the run at this many US dollars per hour per node (overrides the catalog price), e.g. 0.17.",
  },
} as const;

/** The labels that price a run: instanceType and/or usdPerHour; checked, with the nearest known types for a misspelled one. */
export function priceLabelsFrom(values: { as?: string; "usd-per-hour"?: string }): Record<string, string> {
  try {
    return pricingLabels({ as: values.as, usdPerHour: values["usd-per-hour"] });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Results with the pricing labels added (they replace any the results carried). */
export function withPriceLabels(results: readonly LoadTestResult[], labels: Record<string, string>): LoadTestResult[] {
  return results.map((result) => ({ ...result, labels: { ...result.labels, ...labels } }));
}
