// The cluster API endpoint from wherever the matrix runs: public, but only for this machine's own address.
import type { FleetConfig } from "@inference-fleet/fleet-config";
import { envNameFor } from "@inference-fleet/fleet-config";

/** AWS's own what-is-my-IP service; it answers with the caller's public IPv4 address and a newline. */
const CHECK_IP_URL = "https://checkip.amazonaws.com";

export type PublicIpLookup = () => Promise<string>;

const lookupPublicIp: PublicIpLookup = async () => {
  const response = await fetch(CHECK_IP_URL, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`${CHECK_IP_URL} answered ${response.status}`);
  return (await response.text()).trim();
};

/**
 * FLEET_* overrides that let `pulumi up` reach the cluster's API from here: for each stack with a
 * public endpoint and no publicAccessCidrs, the given CIDR or this machine's public address as a /32.
 * A CI runner's address is not known ahead and changes per run, so it is looked up per run, never
 * committed; the endpoint is never open to 0.0.0.0/0. Stacks that list CIDRs keep them.
 */
export async function endpointAccessOverrides(
  configs: readonly FleetConfig[],
  cidr: string | undefined,
  lookup: PublicIpLookup = lookupPublicIp,
): Promise<Map<string, Record<string, string>>> {
  const needing = configs.filter((config) => !config.cluster.existing && config.cluster.endpointPublicAccess && config.cluster.publicAccessCidrs.length === 0);
  if (needing.length === 0) return new Map();
  let value = cidr;
  if (!value || value === "auto") {
    let ip: string;
    try {
      ip = (await lookup()).trim();
    } catch (error) {
      throw new Error(
        `Could not find this machine's public address (${(error as Error).message}) for the cluster endpoint: pass --endpoint-cidr <ip>/32, or set ` +
          `cluster.publicAccessCidrs in the stack file.`,
        { cause: error },
      );
    }
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip))
      throw new Error(`${CHECK_IP_URL} answered "${ip.slice(0, 60)}", not an IPv4 address: pass --endpoint-cidr <ip>/32.`);
    value = `${ip}/32`;
  }
  if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(value)) throw new Error(`--endpoint-cidr "${value}" is not an IPv4 CIDR such as 203.0.113.7/32.`);
  if (value.endsWith("/0")) throw new Error("--endpoint-cidr must not open the cluster API to the whole internet (/0): give this machine's address as a /32.");
  const override = { [envNameFor("cluster.publicAccessCidrs")]: JSON.stringify([value]) };
  return new Map(needing.map((config) => [config.stack, override]));
}
