import { parseFleetConfig } from "@inference-fleet/fleet-config";
import { describe, expect, it } from "vitest";
import { endpointAccessOverrides } from "./endpoint-access.js";

const open = parseFleetConfig({ stack: "a" });
const listed = parseFleetConfig({ stack: "b", cluster: { publicAccessCidrs: ["198.51.100.0/24"] } });
const privateOnly = parseFleetConfig({ stack: "c", cluster: { endpointPublicAccess: false } });

describe("endpointAccessOverrides", () => {
  it("gives stacks without CIDRs this machine's address as a /32, and leaves the others alone", async () => {
    const overrides = await endpointAccessOverrides([open, listed, privateOnly], "auto", async () => "203.0.113.7\n");
    expect([...overrides]).toEqual([["a", { FLEET_CLUSTER_PUBLIC_ACCESS_CIDRS: '["203.0.113.7/32"]' }]]);
  });

  it("takes a given CIDR without a lookup", async () => {
    const overrides = await endpointAccessOverrides([open], "192.0.2.0/28", async () => {
      throw new Error("no lookup expected");
    });
    expect(overrides.get("a")).toEqual({ FLEET_CLUSTER_PUBLIC_ACCESS_CIDRS: '["192.0.2.0/28"]' });
  });

  it("asks nothing when every stack lists its CIDRs", async () => {
    expect((await endpointAccessOverrides([listed, privateOnly], "auto", async () => "x")).size).toBe(0);
  });

  it.each([
    ["0.0.0.0/0", async () => "1.2.3.4", /whole internet/],
    ["auto", async () => "<html>captive portal</html>", /not an IPv4 address.*--endpoint-cidr/],
    [
      "auto",
      async () => {
        throw new Error("getaddrinfo ENOTFOUND");
      },
      /Could not find this machine's public address \(getaddrinfo ENOTFOUND\).*--endpoint-cidr/,
    ],
    ["10.0.0.1", async () => "1.2.3.4", /not an IPv4 CIDR/],
  ])("refuses %s (lookup answering badly) with what to do", async (cidr, lookup, message) => {
    await expect(endpointAccessOverrides([open], cidr, lookup)).rejects.toThrow(message);
  });
});
