import { listStacks } from "@inference-fleet/fleet-config";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../cli.js";
import { captureConsole } from "../testing/capture-console.js";

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe("fleet plan", () => {
  it.each(listStacks())("exits 0 and prints fits for the shipped stack %s", async (stack) => {
    const printed = captureConsole();
    expect(await main(["plan", "--stack", stack])).toBe(0);
    expect(printed.out()).toMatch(new RegExp(`^Stack ${stack} \\(us-east-1\\): fits\\.`));
    expect(printed.out()).toMatch(/allocatable per node: [\d.]+ CPU, [\d.]+ GiB memory, \d+ pods/);
    expect(printed.out()).toMatch(/Estimated cost while up: \$[\d.]+\/h/);
  });

  it("exits 1 with 8 servers on c7i, naming the pod, the node and the shortfall", async () => {
    vi.stubEnv("FLEET_SERVER_NUM_SERVERS", "8");
    const printed = captureConsole();
    expect(await main(["plan", "--stack", "c7i"])).toBe(1);
    expect(printed.out()).toContain("Stack c7i (us-east-1): does NOT fit.");
    expect(printed.out()).toMatch(
      /server\.numServers: does not fit: server5 needs 3 CPU, 4 GiB memory; 0\.505 CPU, [\d.]+ GiB memory left on c7i\.4xlarge node 1 of 1 after 5 pod\(s\)/,
    );
  });

  it("gives the same facts as JSON: node groups, allocatable, pods, fits, quotas, usdPerHour", async () => {
    const printed = captureConsole();
    expect(await main(["plan", "--stack", "g5", "--json"])).toBe(0);
    const plan = JSON.parse(printed.out());
    expect(plan.fits).toBe(true);
    const fleet = plan.nodeGroups.find((group: { role: string }) => group.role === "fleet");
    expect(fleet).toMatchObject({
      instanceType: "g5.xlarge",
      count: 1,
      arch: "x86_64",
      amiType: "AL2023_x86_64_NVIDIA",
      allocatable: { pods: 58, devices: { "nvidia.com/gpu": 1 } },
    });
    expect(fleet.nodes[0].pods.map((pod: { name: string }) => pod.name)).toEqual(["server0"]);
    expect(plan.quotas.map((quota: { quotaCode: string }) => quota.quotaCode)).toContain("L-DB2E81BA");
    expect(plan.usdPerHour.total).toBeCloseTo(1.006 + 2 * 0.357 + 0.1 + 0.045, 6);
  });

  it("refuses --check-quotas without AWS credentials, saying how to get them", async () => {
    for (const name of [
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
      "AWS_PROFILE",
      "AWS_WEB_IDENTITY_TOKEN_FILE",
      "AWS_CONTAINER_CREDENTIALS_FULL_URI",
      "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    ])
      vi.stubEnv(name, "");
    vi.stubEnv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials");
    vi.stubEnv("AWS_CONFIG_FILE", "/nonexistent/config");
    const printed = captureConsole();
    expect(await main(["plan", "--stack", "dev", "--check-quotas"])).toBe(1);
    expect(printed.err()).toMatch(/--check-quotas needs AWS credentials and found none: run `aws configure`/);
  });
});
