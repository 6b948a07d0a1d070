// What a run costs: the price per hour of the instances behind it, from the catalog (the
// instanceType label) or declared (the usdPerHour label); fleet-config's cost.ts turns it into USD per million inferences.
import { didYouMean, getInstanceType, isKnownInstanceType, knownInstanceTypes, PRICE_SOURCE } from "@inference-fleet/fleet-config";

const INSTANCE_TYPE_LABEL = "instanceType";
const USD_PER_HOUR_LABEL = "usdPerHour";

/** The catalog's facts for an instance type; an unknown one is refused with the nearest names (`origin`: the option that gave it). */
function checkInstanceType(name: string, origin?: string): ReturnType<typeof getInstanceType> {
  if (!isKnownInstanceType(name)) {
    const near = didYouMean(name, knownInstanceTypes());
    throw new Error(
      `${origin ? `${origin}: unknown` : "Unknown"} instance type "${name}".${near || ` Known types: ${knownInstanceTypes().join(", ")}.`} ` +
        "Add it to packages/fleet-config/src/catalog.ts with its price source, or give the price with --usd-per-hour.",
    );
  }
  return getInstanceType(name);
}

/** Reads a price per hour given on the command line or in a label. */
function parseUsdPerHour(text: string, origin = "--usd-per-hour"): number {
  const value = Number(text.trim().replace(/^\$/, ""));
  if (!(text.trim() !== "" && Number.isFinite(value) && value > 0)) {
    throw new Error(`${origin} must be a price in US dollars per hour per instance, e.g. 0.17, got "${text}".`);
  }
  return value;
}

/** The labels `fleet local --as`, `--usd-per-hour` (and `fleet report`, `fleet merge`) add to price a run; errors name those options. */
export function pricingLabels(options: { as?: string; usdPerHour?: string }): Record<string, string> {
  const labels: Record<string, string> = {};
  if (options.as !== undefined) labels[INSTANCE_TYPE_LABEL] = checkInstanceType(options.as.trim(), "--as").name;
  if (options.usdPerHour !== undefined) labels[USD_PER_HOUR_LABEL] = String(parseUsdPerHour(options.usdPerHour));
  return labels;
}

export interface RunPrice {
  /** USD per hour for all the instances behind the run. */
  usdPerHour: number;
  /** "priced as c7i.large ($0.08925/h on-demand, us-east-1)": where the price comes from, for the page. */
  description: string;
}

const usd = (value: number) => `$${Number(value.toPrecision(6))}`;

/** A run's price from its labels, or why it has none (a sentence that says how to get one). */
export function priceFromLabels(labels: Record<string, string>, instances: number): { price: RunPrice } | { absent: string } {
  const instanceType = labels[INSTANCE_TYPE_LABEL];
  const declared = labels[USD_PER_HOUR_LABEL];
  const local = labels.where === "local";
  const count = instances === 1 ? "" : `${instances} x `;
  const each = instances === 1 ? "" : " each";
  const subject = local ? "this machine priced as" : "priced as";
  if (declared !== undefined) {
    const perHour = parseUsdPerHour(declared, `Label ${USD_PER_HOUR_LABEL}`);
    const as = instanceType ? `${subject} ${count}${instanceType} at` : local ? "this machine priced at" : "priced at";
    return { price: { usdPerHour: perHour * instances, description: `${as} ${usd(perHour)}/h${each} (declared)` } };
  }
  if (instanceType !== undefined) {
    const perHour = checkInstanceType(instanceType).onDemandUsdPerHour;
    return {
      price: {
        usdPerHour: perHour * instances,
        description: `${subject} ${count}${instanceType} (${usd(perHour)}/h${each} on-demand, ${PRICE_SOURCE.region})`,
      },
    };
  }
  return {
    absent: local
      ? "a local run does not know which instance type this machine stands for: run `fleet local` with --as INSTANCE_TYPE (e.g. --as c7i.large) " +
        "or --usd-per-hour N, or give those to `fleet report`"
      : "the results name no instance type: label them (`fleet load --label instanceType=c7g.xlarge`), or give `fleet report` --as INSTANCE_TYPE " +
        "or --usd-per-hour N",
  };
}

export function priceNote(): string {
  return `Catalog prices: on-demand Linux in ${PRICE_SOURCE.region} as of ${PRICE_SOURCE.date} (${PRICE_SOURCE.source}).`;
}
