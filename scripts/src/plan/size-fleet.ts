// `fleet plan --for-rate`: a measured capacity per node turned into the fleet that serves a rate at the
// SLO with headroom to spare, and what it costs. Pure: the command finds the measurement and prints this.
import { describeSlo, estimateUsdPerHour, getInstanceType, HOURS_PER_MONTH, sloOfStack, usdPerMonth, type FleetConfig } from "@inference-fleet/fleet-config";

/** Hours in a month as AWS bills them (365 x 24 / 12). */

/** A capacity search's answer as a results file holds it. */
export interface MeasuredCapacity {
  /** Requests per second the measured fleet held at the SLO. */
  readonly capacityAtSlo: number;
  /** Nodes the measured fleet ran on (the results' `servers` label: instances billed). */
  readonly nodes: number;
  /** The capacity held the confirmation's sustained window. */
  readonly confirmed: boolean;
  /** The achieved rates of the windows behind the capacity. */
  readonly windows?: { readonly low: number; readonly high: number };
  /** The results file it was read from. */
  readonly file: string;
  /** When the measurement ended (the results' endTime). */
  readonly measuredAt: string;
  /** Measured by `fleet local` on this machine rather than on the stack's instance type in the cluster. */
  readonly local: boolean;
}

export interface FleetSizing {
  readonly stack: string;
  readonly instanceType: string;
  readonly forRate: number;
  /** Share of each node's capacity kept spare. */
  readonly headroom: number;
  readonly capacityPerNode: number;
  /** What each node is planned to carry: capacityPerNode x (1 - headroom). */
  readonly plannedPerNode: number;
  readonly nodes: number;
  readonly serversPerNode: number;
  readonly servers: number;
  /** The fleet nodes, on demand. */
  readonly usdPerHour: number;
  readonly usdPerMonth: number;
  /** The rest of the cluster whatever the fleet's size: control plane, NAT gateways, system nodes. */
  readonly clusterUsdPerHour: number;
  readonly measured: MeasuredCapacity;
}

/**
 * Nodes = ceil(forRate / (capacity per node x (1 - headroom))); servers per node as the stack runs them.
 * Refuses what cannot be sized, saying why.
 */
export function sizeFleet(config: FleetConfig, measured: MeasuredCapacity, forRate: number, headroom: number): FleetSizing {
  if (!(forRate > 0 && Number.isFinite(forRate))) throw new Error(`--for-rate must be a positive number of requests per second, got ${forRate}.`);
  if (!(headroom >= 0 && headroom < 1)) throw new Error(`--headroom must be a share between 0 and 1 (0.2 keeps 20% of each node spare), got ${headroom}.`);
  const capacityPerNode = measured.capacityAtSlo / measured.nodes;
  if (!(capacityPerNode > 0)) {
    throw new Error(
      `${measured.file} holds no capacity for stack ${config.stack}: no rate held its SLO${measured.confirmed ? "" : " (or none was confirmed)"}. ` +
        "Change the stack (more servers or copies per node, batching, a larger instance type) and measure it again.",
    );
  }
  const plannedPerNode = capacityPerNode * (1 - headroom);
  const nodes = Math.ceil(forRate / plannedPerNode - 1e-9);
  const serversPerNode = config.server.numServers / config.cluster.fleetNodes;
  const nodeUsdPerHour = getInstanceType(config.instanceType).onDemandUsdPerHour;
  const cost = estimateUsdPerHour(config);
  const usdPerHour = nodes * nodeUsdPerHour;
  return {
    stack: config.stack,
    instanceType: config.instanceType,
    forRate,
    headroom,
    capacityPerNode,
    plannedPerNode,
    nodes,
    serversPerNode,
    servers: Math.ceil(nodes * serversPerNode),
    usdPerHour,
    usdPerMonth: usdPerMonth(usdPerHour),
    clusterUsdPerHour: Math.max(0, cost.total - nodeUsdPerHour * config.cluster.fleetNodes),
    measured,
  };
}

const count = (n: number) => Math.round(n).toLocaleString("en-US");
const usd = (n: number) => `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** The answer first ("to serve R req/s at p90 <= T, use N x TYPE for $X/month"), then where each figure comes from. */
export function renderSizing(sizing: FleetSizing, slo: FleetConfig["loadTest"]["slo"]): string {
  const m = sizing.measured;
  const spread = m.windows ? `, windows ${count(m.windows.low)}-${count(m.windows.high)}` : "";
  const how = m.confirmed ? "confirmed by a sustained hold" : "found by the search, not confirmed";
  const where = m.local ? "on this machine (fleet local), priced as the stack's instance type" : "in the cluster (fleet matrix)";
  const withCluster = sizing.usdPerHour + sizing.clusterUsdPerHour;
  return [
    `Stack ${sizing.stack}: to serve ${count(sizing.forRate)} req/s at ${describeSlo(sloOfStack(slo))}, ` +
      `use ${sizing.nodes} x ${sizing.instanceType} for ${usd(sizing.usdPerMonth)}/month (${usd(sizing.usdPerHour)}/h).`,
    `  nodes: ${sizing.nodes}, servers: ${sizing.servers} (${Number(sizing.serversPerNode.toFixed(2))} per node)`,
    `  capacity per node: ${count(sizing.capacityPerNode)} req/s${spread} (${how}; measured ${where}, ${m.measuredAt}, ${m.file})`,
    `  headroom: ${(sizing.headroom * 100).toFixed(0)}%, so each node is planned at ${count(sizing.plannedPerNode)} req/s`,
    `  cost: ${usd(sizing.usdPerHour)}/h, ${usd(sizing.usdPerMonth)}/month for the fleet nodes (on demand, ${HOURS_PER_MONTH} h a month); ` +
      `with the cluster around them (control plane, NAT, system nodes) ${usd(withCluster)}/h, ${usd(usdPerMonth(withCluster))}/month`,
  ].join("\n");
}
