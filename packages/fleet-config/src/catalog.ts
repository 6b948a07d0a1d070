import { usdPerMillionAt } from "./cost.js";
import { didYouMean } from "./closest.js";

/** What a fleet needs to know about an EC2 instance type to place and price servers on it. */
export interface InstanceTypeFacts {
  readonly name: string;
  readonly vcpu: number;
  readonly memoryGiB: number;
  readonly arch: "x86_64" | "arm64";
  /** The accelerator devices on the instance, or null for CPU-only types. */
  readonly accelerator: AcceleratorFacts | null;
  /** On-demand Linux price in PRICE_SOURCE.region, US dollars per hour. */
  readonly onDemandUsdPerHour: number;
  /** Network interfaces on the default card and IPv4 addresses per interface: with the VPC CNI they bound the pods a node may run. */
  readonly network: { readonly maxEnis: number; readonly ipv4PerEni: number };
  readonly cpu: CpuFacts;
}

/** The host CPU, as far as int8 inference cares (AWS's instance type pages name the processor). */
interface CpuFacts {
  readonly model: string;
  /**
   * Integer dot products summed in 32 bits (x86 AVX512-VNNI/AMX, Arm SDOT/UDOT). Without them (x86 AVX2 only: AMD
   * Rome/Milan, Skylake) u8 x s8 products saturate in 16 bits, so int8 models for the type use 7-bit weights.
   */
  readonly int8DotProduct: boolean;
}

interface AcceleratorFacts {
  readonly kind: "nvidia" | "neuron";
  readonly model: string;
  /** Devices the device plugin advertises (nvidia.com/gpu, aws.amazon.com/neuron). */
  readonly count: number;
  /** Memory per device, GiB. */
  readonly memoryGiB: number;
  /** NeuronCores per device (aws.amazon.com/neuroncore); 1 for a GPU. */
  readonly coresPerDevice: number;
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

/** Where the ENI limits come from: the EKS AMI's instance table (nodeadm computes max pods from it). */
export const NETWORK_SOURCE = "awslabs/amazon-eks-ami nodeadm/internal/kubelet/instance-info.jsonl (defaultMaxENIs, ipv4AddressesPerInterface)";

type Row = [name: string, vcpu: number, memoryGiB: number, usdPerHour: number, maxEnis: number, ipv4PerEni: number];

function family(
  arch: InstanceTypeFacts["arch"],
  cpu: CpuFacts,
  accelerator: Omit<AcceleratorFacts, "count"> | null,
  rows: Row[],
  devicesBySize: Record<string, number> = {},
): InstanceTypeFacts[] {
  return rows.map(([name, vcpu, memoryGiB, onDemandUsdPerHour, maxEnis, ipv4PerEni]) => ({
    name,
    vcpu,
    memoryGiB,
    arch,
    accelerator: accelerator && { ...accelerator, count: devicesBySize[name] ?? 1 },
    onDemandUsdPerHour,
    network: { maxEnis, ipv4PerEni },
    cpu,
  }));
}

const cpu = (model: string, int8DotProduct: boolean): CpuFacts => ({ model, int8DotProduct });
const SKYLAKE_OR_CASCADE_LAKE = cpu("Intel Xeon Skylake-SP or Cascade Lake (VNNI not on every host)", false);
const ICE_LAKE = cpu("Intel Xeon Ice Lake (AVX512-VNNI)", true);
const SAPPHIRE_RAPIDS = cpu("Intel Xeon Sapphire Rapids (AVX512-VNNI, AMX)", true);
const CASCADE_LAKE = cpu("Intel Xeon Cascade Lake (AVX512-VNNI)", true);
const GRAVITON3 = cpu("AWS Graviton3 (Neoverse V1, SDOT/UDOT)", true);
const GRAVITON4 = cpu("AWS Graviton4 (Neoverse V2, SDOT/UDOT)", true);
const EPYC_ROME = cpu("AMD EPYC 7R32 Rome (AVX2, no VNNI)", false);
const EPYC_MILAN = cpu("AMD EPYC 7R13 Milan (AVX2, no VNNI)", false);

const nvidia = (model: string, memoryGiB: number) => ({ kind: "nvidia" as const, model, memoryGiB, coresPerDevice: 1 });
const neuron = (model: string, memoryGiB: number, coresPerDevice: number) => ({ kind: "neuron" as const, model, memoryGiB, coresPerDevice });

const ALL: InstanceTypeFacts[] = [
  ...family("x86_64", SKYLAKE_OR_CASCADE_LAKE, null, [
    ["c5.large", 2, 4, 0.085, 3, 10],
    ["c5.xlarge", 4, 8, 0.17, 4, 15],
    ["c5.2xlarge", 8, 16, 0.34, 4, 15],
    ["c5.4xlarge", 16, 32, 0.68, 8, 30],
    ["c5.9xlarge", 36, 72, 1.53, 8, 30],
  ]),
  ...family("x86_64", ICE_LAKE, null, [
    ["c6i.large", 2, 4, 0.085, 3, 10],
    ["c6i.xlarge", 4, 8, 0.17, 4, 15],
    ["c6i.2xlarge", 8, 16, 0.34, 4, 15],
    ["c6i.4xlarge", 16, 32, 0.68, 8, 30],
    ["c6i.8xlarge", 32, 64, 1.36, 8, 30],
  ]),
  ...family("x86_64", SAPPHIRE_RAPIDS, null, [
    ["c7i.large", 2, 4, 0.08925, 3, 10],
    ["c7i.xlarge", 4, 8, 0.1785, 4, 15],
    ["c7i.2xlarge", 8, 16, 0.357, 4, 15],
    ["c7i.4xlarge", 16, 32, 0.714, 8, 30],
    ["c7i.8xlarge", 32, 64, 1.428, 8, 30],
  ]),
  ...family("arm64", GRAVITON3, null, [
    ["c7g.large", 2, 4, 0.0725, 3, 10],
    ["c7g.xlarge", 4, 8, 0.145, 4, 15],
    ["c7g.2xlarge", 8, 16, 0.29, 4, 15],
    ["c7g.4xlarge", 16, 32, 0.58, 8, 30],
    ["c7g.8xlarge", 32, 64, 1.16, 8, 30],
  ]),
  ...family("arm64", GRAVITON4, null, [
    ["c8g.large", 2, 4, 0.07976, 3, 10],
    ["c8g.xlarge", 4, 8, 0.15952, 4, 15],
    ["c8g.2xlarge", 8, 16, 0.31904, 4, 15],
    ["c8g.4xlarge", 16, 32, 0.63808, 8, 30],
    ["c8g.8xlarge", 32, 64, 1.27616, 8, 30],
  ]),
  ...family("x86_64", SAPPHIRE_RAPIDS, null, [
    ["m7i.large", 2, 8, 0.1008, 3, 10],
    ["m7i.xlarge", 4, 16, 0.2016, 4, 15],
    ["m7i.2xlarge", 8, 32, 0.4032, 4, 15],
    ["m7i.4xlarge", 16, 64, 0.8064, 8, 30],
  ]),
  ...family(
    "x86_64",
    CASCADE_LAKE,
    nvidia("T4", 16),
    [
      ["g4dn.xlarge", 4, 16, 0.526, 3, 10],
      ["g4dn.2xlarge", 8, 32, 0.752, 3, 10],
      ["g4dn.4xlarge", 16, 64, 1.204, 3, 10],
      ["g4dn.12xlarge", 48, 192, 3.912, 8, 30],
    ],
    { "g4dn.12xlarge": 4 },
  ),
  ...family(
    "x86_64",
    EPYC_ROME,
    nvidia("A10G", 24),
    [
      ["g5.xlarge", 4, 16, 1.006, 4, 15],
      ["g5.2xlarge", 8, 32, 1.212, 4, 15],
      ["g5.4xlarge", 16, 64, 1.624, 8, 30],
      ["g5.12xlarge", 48, 192, 5.672, 15, 50],
    ],
    { "g5.12xlarge": 4 },
  ),
  ...family(
    "x86_64",
    EPYC_MILAN,
    nvidia("L4", 24),
    [
      ["g6.xlarge", 4, 16, 0.8048, 4, 15],
      ["g6.2xlarge", 8, 32, 0.9776, 4, 15],
      ["g6.4xlarge", 16, 64, 1.3232, 8, 30],
      ["g6.12xlarge", 48, 192, 4.6016, 8, 30],
    ],
    { "g6.12xlarge": 4 },
  ),
  ...family(
    "x86_64",
    CASCADE_LAKE,
    neuron("Inferentia", 8, 4),
    [
      ["inf1.xlarge", 4, 8, 0.228, 4, 10],
      ["inf1.2xlarge", 8, 16, 0.362, 4, 10],
      ["inf1.6xlarge", 24, 48, 1.18, 8, 30],
    ],
    { "inf1.6xlarge": 4 },
  ),
  ...family(
    "x86_64",
    EPYC_MILAN,
    neuron("Inferentia2", 32, 2),
    [
      ["inf2.xlarge", 4, 16, 0.7582, 4, 15],
      ["inf2.8xlarge", 32, 128, 1.9679, 8, 30],
      ["inf2.24xlarge", 96, 384, 6.4906, 15, 50],
      ["inf2.48xlarge", 192, 768, 12.9813, 15, 50],
    ],
    { "inf2.24xlarge": 6, "inf2.48xlarge": 12 },
  ),
];

const BY_NAME = new Map(ALL.map((facts) => [facts.name, facts]));

/** Every instance type the catalog knows, in catalog order. */
export function knownInstanceTypes(): readonly string[] {
  return ALL.map((facts) => facts.name);
}

export function isKnownInstanceType(name: string): boolean {
  return BY_NAME.has(name);
}

/** The nearest known names (" Did you mean ...?"), else the families with their sizes: never the whole catalog in one line. */
export function unknownInstanceTypeHint(name: string): string {
  const near = didYouMean(name, knownInstanceTypes());
  if (near) return near;
  const families = new Map<string, string[]>();
  for (const type of knownInstanceTypes()) {
    const [family, size] = type.split(".") as [string, string];
    families.set(family, [...(families.get(family) ?? []), size]);
  }
  return ` Known families: ${[...families].map(([family, sizes]) => `${family} (${sizes.join(", ")})`).join("; ")}.`;
}

/** Facts of one instance type; an unknown name throws an error with the nearest known ones. */
export function getInstanceType(name: string): InstanceTypeFacts {
  const facts = BY_NAME.get(name);
  if (!facts) {
    throw new Error(`Unknown instance type "${name}".${unknownInstanceTypeHint(name)} Add it to packages/fleet-config/src/catalog.ts with its price source.`);
  }
  return facts;
}

/** USD per million inferences for `instances` instances of a type serving `throughput` requests/s in total. */
export function usdPerMillionInferences(instanceType: string, throughput: number, instances = 1): number {
  return usdPerMillionAt(getInstanceType(instanceType).onDemandUsdPerHour * instances, throughput) ?? Number.POSITIVE_INFINITY;
}

/** The EC2 On-Demand vCPU quota an instance type counts against. */
export type VcpuQuotaFamily = "standard" | "g-and-vt" | "inf";

export function vcpuQuotaFamily(name: string): VcpuQuotaFamily {
  if (/^(g\d|vt\d)/.test(name)) return "g-and-vt";
  if (/^inf\d/.test(name)) return "inf";
  return "standard";
}
