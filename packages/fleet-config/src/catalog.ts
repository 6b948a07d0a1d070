/** What a fleet needs to know about an EC2 instance type to place and price servers on it. */
export interface InstanceTypeFacts {
  readonly name: string;
  readonly vcpu: number;
  readonly memoryGiB: number;
  readonly arch: "x86_64" | "arm64";
  /** The accelerator cards on the instance, or null for CPU-only types. */
  readonly accelerator: { readonly kind: "nvidia" | "neuron"; readonly model: string; readonly count: number } | null;
  /** On-demand Linux price in PRICE_SOURCE.region, US dollars per hour. */
  readonly onDemandUsdPerHour: number;
}

/**
 * Where the prices come from. They are list prices copied by hand, not fetched: check the page
 * before budgeting, and update `date` with the figures.
 */
export const PRICE_SOURCE = {
  region: "us-east-1",
  source: "https://aws.amazon.com/ec2/pricing/on-demand/ (Linux, on-demand, shared tenancy)",
  date: "2025-11-01",
} as const;

type Row = [name: string, vcpu: number, memoryGiB: number, usdPerHour: number];

function family(arch: InstanceTypeFacts["arch"], accelerator: InstanceTypeFacts["accelerator"] extends infer A ? A : never, rows: Row[], acceleratorsBySize?: Record<string, number>): InstanceTypeFacts[] {
  return rows.map(([name, vcpu, memoryGiB, onDemandUsdPerHour]) => ({
    name,
    vcpu,
    memoryGiB,
    arch,
    accelerator: accelerator && { ...accelerator, count: acceleratorsBySize?.[name] ?? accelerator.count },
    onDemandUsdPerHour,
  }));
}

const nvidia = (model: string) => ({ kind: "nvidia" as const, model, count: 1 });
const neuron = (model: string) => ({ kind: "neuron" as const, model, count: 1 });

const ALL: InstanceTypeFacts[] = [
  ...family("x86_64", null, [
    ["c5.large", 2, 4, 0.085], ["c5.xlarge", 4, 8, 0.17], ["c5.2xlarge", 8, 16, 0.34], ["c5.4xlarge", 16, 32, 0.68], ["c5.9xlarge", 36, 72, 1.53],
  ]),
  ...family("x86_64", null, [
    ["c6i.large", 2, 4, 0.085], ["c6i.xlarge", 4, 8, 0.17], ["c6i.2xlarge", 8, 16, 0.34], ["c6i.4xlarge", 16, 32, 0.68], ["c6i.8xlarge", 32, 64, 1.36],
  ]),
  ...family("x86_64", null, [
    ["c7i.large", 2, 4, 0.08925], ["c7i.xlarge", 4, 8, 0.1785], ["c7i.2xlarge", 8, 16, 0.357], ["c7i.4xlarge", 16, 32, 0.714], ["c7i.8xlarge", 32, 64, 1.428],
  ]),
  ...family("arm64", null, [
    ["c7g.large", 2, 4, 0.0725], ["c7g.xlarge", 4, 8, 0.145], ["c7g.2xlarge", 8, 16, 0.29], ["c7g.4xlarge", 16, 32, 0.58], ["c7g.8xlarge", 32, 64, 1.16],
  ]),
  ...family("arm64", null, [
    ["c8g.large", 2, 4, 0.07976], ["c8g.xlarge", 4, 8, 0.15952], ["c8g.2xlarge", 8, 16, 0.31904], ["c8g.4xlarge", 16, 32, 0.63808], ["c8g.8xlarge", 32, 64, 1.27616],
  ]),
  ...family("x86_64", null, [
    ["m7i.large", 2, 8, 0.1008], ["m7i.xlarge", 4, 16, 0.2016], ["m7i.2xlarge", 8, 32, 0.4032], ["m7i.4xlarge", 16, 64, 0.8064],
  ]),
  ...family("x86_64", nvidia("T4"), [
    ["g4dn.xlarge", 4, 16, 0.526], ["g4dn.2xlarge", 8, 32, 0.752], ["g4dn.4xlarge", 16, 64, 1.204], ["g4dn.12xlarge", 48, 192, 3.912],
  ], { "g4dn.12xlarge": 4 }),
  ...family("x86_64", nvidia("A10G"), [
    ["g5.xlarge", 4, 16, 1.006], ["g5.2xlarge", 8, 32, 1.212], ["g5.4xlarge", 16, 64, 1.624], ["g5.12xlarge", 48, 192, 5.672],
  ], { "g5.12xlarge": 4 }),
  ...family("x86_64", nvidia("L4"), [
    ["g6.xlarge", 4, 16, 0.8048], ["g6.2xlarge", 8, 32, 0.9776], ["g6.4xlarge", 16, 64, 1.3232], ["g6.12xlarge", 48, 192, 4.6016],
  ], { "g6.12xlarge": 4 }),
  ...family("x86_64", neuron("Inferentia"), [
    ["inf1.xlarge", 4, 8, 0.228], ["inf1.2xlarge", 8, 16, 0.362], ["inf1.6xlarge", 24, 48, 1.18],
  ], { "inf1.6xlarge": 4 }),
  ...family("x86_64", neuron("Inferentia2"), [
    ["inf2.xlarge", 4, 16, 0.7582], ["inf2.8xlarge", 32, 128, 1.9679], ["inf2.24xlarge", 96, 384, 6.4906], ["inf2.48xlarge", 192, 768, 12.9813],
  ], { "inf2.24xlarge": 6, "inf2.48xlarge": 12 }),
];

const BY_NAME = new Map(ALL.map((facts) => [facts.name, facts]));

/** Every instance type the catalog knows, in catalog order. */
export function knownInstanceTypes(): readonly string[] {
  return ALL.map((facts) => facts.name);
}

export function isKnownInstanceType(name: string): boolean {
  return BY_NAME.has(name);
}

/** Facts of one instance type; an unknown name throws an error that lists the known ones. */
export function getInstanceType(name: string): InstanceTypeFacts {
  const facts = BY_NAME.get(name);
  if (!facts) {
    throw new Error(`Unknown instance type "${name}". Known types: ${knownInstanceTypes().join(", ")}. Add it to packages/fleet-config/src/catalog.ts with its price source.`);
  }
  return facts;
}

/** USD per million inferences for `instances` instances of a type serving `throughput` requests/s in total. */
export function usdPerMillionInferences(instanceType: string, throughput: number, instances = 1): number {
  if (!(throughput > 0)) return Number.POSITIVE_INFINITY;
  return (getInstanceType(instanceType).onDemandUsdPerHour * instances * 1e6) / (throughput * 3600);
}
