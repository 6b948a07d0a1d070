// What a search costs: before it starts, an estimate from `fleet plan`'s $/h of each stack to measure and the
// hours it is up; after, the hours each stack was up at the same $/h. Local searches cost this machine's time only.
import { estimateUsdPerHour, type FleetConfig } from "@inference-fleet/fleet-config";

/**
 * Creating a stack's VPC, EKS cluster and node groups, pushing the image, and destroying them again: about
 * 15 minutes up and 10 down as measured by EKS users (the control plane alone takes ~10 minutes), plus the
 * image pull. An assumption, printed with the estimate.
 */
const STACK_UP_AND_DOWN_SECONDS = 30 * 60;

interface CandidateCost {
  readonly name: string;
  readonly seconds: number;
  readonly usdPerHour: number;
  readonly usd: number;
}

export interface SearchCostEstimate {
  readonly candidates: CandidateCost[];
  readonly seconds: number;
  readonly usd: number;
}

/** Seconds of load one candidate's search takes at most: the search's budget, then every confirmation hold. */
function loadSeconds(config: FleetConfig): number {
  const { budget, confirmSeconds, confirmAttempts } = config.loadTest.capacity;
  return budget + confirmSeconds * confirmAttempts;
}

/** The estimate for the candidates still to measure: AWS stacks at `fleet plan`'s $/h while up; local ones at $0. */
export function estimateSearchCost(configs: readonly FleetConfig[], local: boolean): SearchCostEstimate {
  const candidates = configs.map((config) => {
    const seconds = loadSeconds(config) + (local ? 0 : STACK_UP_AND_DOWN_SECONDS);
    const usdPerHour = local ? 0 : estimateUsdPerHour(config).total;
    return { name: config.stack, seconds, usdPerHour, usd: (usdPerHour * seconds) / 3600 };
  });
  return {
    candidates,
    seconds: candidates.reduce((sum, c) => sum + c.seconds, 0),
    usd: candidates.reduce((sum, c) => sum + c.usd, 0),
  };
}

/** What a stack up for `seconds` cost at `fleet plan`'s $/h (0 locally). */
export function spentUsd(config: FleetConfig, seconds: number, local: boolean): number {
  return local ? 0 : (estimateUsdPerHour(config).total * seconds) / 3600;
}

const minutes = (seconds: number) => `${Math.round(seconds / 60)} min`;
const usd = (n: number) => `$${n.toFixed(2)}`;

export function renderEstimate(estimate: SearchCostEstimate, local: boolean, reused: number): string {
  const measured = `${estimate.candidates.length} candidate(s) to measure${reused > 0 ? ` (${reused} reused from earlier runs)` : ""}`;
  if (local) return `Search cost: ${measured} on this machine, at most ${minutes(estimate.seconds)} of load; no cloud cost.`;
  // $/h as `fleet plan` prints it (three decimals), so the two can be compared.
  const lines = estimate.candidates.map((c) => `  ${c.name}: ${minutes(c.seconds)} up x $${c.usdPerHour.toFixed(3)}/h = ${usd(c.usd)}`);
  return [
    `Search cost (an estimate): ${measured}, ${usd(estimate.usd)} over ${minutes(estimate.seconds)} of stack time, one stack at a time.`,
    ...lines,
    `  (\`fleet plan\`'s $/h while up: nodes, control plane, NAT; each stack's capacity budget and confirmation holds plus ` +
      `${minutes(STACK_UP_AND_DOWN_SECONDS)} to create and destroy it; data transfer, EBS, S3 and logs come on top.)`,
  ].join("\n");
}
