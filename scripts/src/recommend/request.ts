// `fleet recommend`'s command line, checked into one request before anything is imported, planned or measured.
import { didYouMean, isKnownInstanceType, knownInstanceTypes, parseDurationSeconds, stackSloSchema } from "@inference-fleet/fleet-config";
import { isHubSource, parseHubModelId, PRECISIONS, type Precision } from "@inference-fleet/model-zoo";
import { UsageError } from "../command.js";

/** Examples for messages: the families this repo ships a stack for. */
const EXAMPLE_FAMILIES = "c7i,c7g,g5,inf2";

export interface RecommendRequest {
  /** hf://ORG/NAME[@REV]. */
  readonly model: string;
  /** The SLO as the stack schema takes it, e.g. "p90<=50ms" (parsed by the schema, nowhere else). */
  readonly slo: string;
  /** Requests per second to serve. */
  readonly rate: number;
  /** Families (c7g) or exact instance types (c7g.2xlarge); empty: every catalog family with a template stack in stacks/. */
  readonly types: readonly string[];
  readonly precisions: readonly Precision[];
  /** The whole search's load budget, split over the candidates; absent: each template's loadTest.capacity.budget. */
  readonly budgetSeconds?: number;
  /** Measure on this machine (one node of the template's type, labelled as this machine) instead of on AWS. */
  readonly local: boolean;
  /** Refuse before any `pulumi up` when the search is estimated to cost more. */
  readonly maxUsd?: number;
  /** Capacity kept spare per node; absent: each template's loadTest.sizing.headroom. */
  readonly headroom?: number;
}

export interface RecommendOptionValues {
  readonly model?: string;
  readonly slo?: string;
  readonly rate?: string;
  readonly types?: string;
  readonly precision?: string;
  readonly budget?: string;
  readonly local?: boolean;
  readonly "max-usd"?: string;
  readonly headroom?: string;
}

function list(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

function positive(raw: string, flag: string, example: string): number {
  const value = Number(raw);
  if (raw.trim() === "" || !(value > 0) || !Number.isFinite(value))
    throw new UsageError(`--${flag} must be a positive number, e.g. --${flag} ${example}; got "${raw}".`);
  return value;
}

/** The families the catalog knows (c7i from c7i.large, ...). */
export function catalogFamilies(): string[] {
  return [...new Set(knownInstanceTypes().map((type) => type.split(".")[0]!))];
}

/** A family or an exact type; anything else is refused with the nearest names. */
function checkTypes(types: readonly string[]): string[] {
  const families = catalogFamilies();
  const unknown = types.filter((type) => !families.includes(type) && !isKnownInstanceType(type));
  if (unknown.length > 0) {
    const hints = unknown.map((type) => `"${type}".${didYouMean(type, [...families, ...knownInstanceTypes()])}`);
    throw new UsageError(`Unknown instance type or family ${hints.join(" ")} Give families such as ${EXAMPLE_FAMILIES} or exact types such as c7g.2xlarge.`);
  }
  return [...types];
}

export function parseRecommendRequest(values: RecommendOptionValues): RecommendRequest {
  if (!values.model) throw new UsageError("--model is required, e.g. --model hf://deepset/bert-base-cased-squad2.");
  if (!isHubSource(values.model)) throw new UsageError(`--model takes a hub id hf://ORG/NAME[@REVISION], got "${values.model}".`);
  try {
    parseHubModelId(values.model);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (!values.slo) throw new UsageError("--slo is required, e.g. --slo p90<=50ms.");
  // The stack schema's own reading of an SLO, so a typo stops here, before the model is imported.
  const slo = stackSloSchema.safeParse(values.slo);
  if (!slo.success) throw new UsageError(`--slo: ${slo.error.issues.map((issue) => issue.message).join("; ")}`);
  if (!values.rate) throw new UsageError("--rate is required: the requests per second to serve, e.g. --rate 5000.");
  const precisions = list(values.precision ?? "fp32");
  const badPrecision = precisions.filter((p) => !(PRECISIONS as readonly string[]).includes(p));
  if (badPrecision.length > 0 || precisions.length === 0)
    throw new UsageError(`--precision takes ${PRECISIONS.join(" and/or ")}, comma-separated, e.g. --precision fp32,int8; got "${values.precision}".`);
  const budgetSeconds = values.budget === undefined ? undefined : parseDurationSeconds(values.budget);
  if (values.budget !== undefined && !budgetSeconds) throw new UsageError(`--budget must be a duration such as 90m or 2h, got "${values.budget}".`);
  const headroom = values.headroom === undefined ? undefined : Number(values.headroom);
  if (headroom !== undefined && !(headroom >= 0 && headroom < 1))
    throw new UsageError(`--headroom must be a share between 0 and 1 (0.2 keeps 20% of each node spare), got "${values.headroom}".`);
  const types = checkTypes(values.types ? list(values.types) : []);
  if (values.local && types.length > 1)
    throw new UsageError("With --local this machine stands for one instance type: give at most one in --types (e.g. --types c7i.xlarge), or none.");
  return {
    model: values.model,
    slo: values.slo,
    rate: positive(values.rate, "rate", "5000"),
    types,
    precisions: [...new Set(precisions)] as Precision[],
    ...(budgetSeconds ? { budgetSeconds } : {}),
    local: Boolean(values.local),
    ...(values["max-usd"] !== undefined ? { maxUsd: positive(values["max-usd"], "max-usd", "50") } : {}),
    ...(headroom !== undefined ? { headroom } : {}),
  };
}
