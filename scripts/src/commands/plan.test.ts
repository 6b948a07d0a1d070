import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { listStacks } from "@inference-fleet/fleet-config";
import { buildResult, LatencyHistogram, stepFromResult, writeResultFile, type LoadTestResult } from "@inference-fleet/load-test";
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

  it("names both autoscaling targets when the stack has a measured capacity per server", async () => {
    vi.stubEnv("FLEET_SERVER_AUTOSCALING_CAPACITY_PER_SERVER", "250");
    const printed = captureConsole();
    expect(await main(["plan", "--stack", "c7i-ha"])).toBe(0);
    // 250 x 0.7 = 175 req/s; 250 x 0.1 s x (1 - 0.2) = 20 waiting.
    expect(printed.out()).toMatch(/KEDA on model_server_requests_total, 175 req\/s per pod: .*; model_server_queue_depth, 20 waiting per pod/);
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

  it("prices the ha variant of c7i against c7i: a second fleet node, two more NAT gateways, nodes kept when idle, quota for the maximum", async () => {
    const plan = async (stack: string) => {
      const printed = captureConsole();
      expect(await main(["plan", "--stack", stack])).toBe(0);
      const out = printed.out();
      vi.restoreAllMocks();
      return out;
    };
    const plain = await plan("c7i");
    const ha = await plan("c7i-ha");
    const costOf = (out: string) => /Estimated cost while up: \$([\d.]+)\/h .*NAT gateways \$([\d.]+);/.exec(out)!.slice(1).map(Number);
    const [plainTotal, plainNat] = costOf(plain);
    const [haTotal, haNat] = costOf(ha);
    // c7i.4xlarge $0.714/h + 2 more NAT gateways at $0.045/h
    expect(haTotal! - plainTotal!).toBeCloseTo(0.714 + 2 * 0.045, 3);
    expect([plainNat, haNat]).toEqual([0.045, 0.135]);
    expect(plain).toContain("availability: 1 NAT gateway, zone spread best-effort (cluster.ha off)");
    expect(plain).toContain("servers: 1 pod each, fixed (server.autoscaling off)");
    expect(ha).toContain("availability (cluster.ha): 3 NAT gateways (one per zone)");
    expect(ha).toMatch(/servers: 2 to 4 pods each \(KEDA on model_server_queue_depth, 4 waiting per pod: no measured capacity/);
    expect(ha).toContain("fleet nodes: 2 at start, 2 to 4 (5 server pods per node)");
    expect(ha).toMatch(/At most \$[\d.]+\/h with the fleet at its maximum of 4 nodes/);
    expect(ha).toMatch(/idle: nodes \$[\d.]+; the autoscaler keeps the 2 fleet nodes cluster.ha holds in two zones/);
    for (const out of [plain, ha]) expect(out).toContain("NAT gateways also charge $0.045 per GB they process");
    // vCPUs: the fleet at its maximum (4 x 16 on ha, 1 x 16 on c7i) + 2 system nodes x 8
    expect(plain).toContain("(vCPUs) [ec2 L-1216C47A]: 32");
    expect(ha).toContain("(vCPUs) [ec2 L-1216C47A]: 80");
    expect(ha).toContain("EC2-VPC Elastic IPs [ec2 L-0263D0A3]: 3 (AWS default 5)");
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

describe("fleet plan --for-rate", () => {
  /** A merged capacity result of `stack` as `fleet matrix` writes it: a search and a confirmation that held `capacity` req/s on `nodes` nodes. */
  function capacityResults(stack: string, capacity: number, nodes = 1): LoadTestResult {
    const histogram = new LatencyHistogram();
    for (let i = 0; i < 1000; i++) histogram.record(20);
    const start = Date.parse("2026-12-01T00:00:00Z");
    const run = (seconds: number) =>
      buildResult({
        generator: "k6",
        mode: "rate",
        targets: ["http://server-0:8080"],
        models: ["model0"],
        labels: { stack, servers: String(nodes) },
        startMs: start,
        endMs: start + seconds * 1000,
        requests: Math.round(capacity * seconds),
        errors: {},
        histogram: histogram.toJSON(),
        series: [],
      });
    const slo = { percentile: 90, latencyMs: 100, maxErrorRate: 0.01 };
    const steps = [stepFromResult(run(30), capacity)];
    return { ...run(180), capacity: { capacityAtSlo: capacity, searchCapacity: capacity, slo, steps, confirmations: [stepFromResult(run(180), capacity)] } };
  }

  async function resultsDir(files: Record<string, LoadTestResult>): Promise<string> {
    const dir = mkdtempSync(path.join(tmpdir(), "fleet-plan-"));
    for (const [name, result] of Object.entries(files)) await writeResultFile(path.join(dir, name), result);
    return dir;
  }

  it("sizes c7g for 5,000 req/s from the newest matrix results: nodes, servers, $/h and $/month", async () => {
    const dir = await resultsDir({ "matrix-2026-12-01/c7g.json": capacityResults("c7g", 400), "matrix-2026-12-01/c7i.json": capacityResults("c7i", 900) });
    const printed = captureConsole();
    expect(await main(["plan", "--stack", "c7g", "--for-rate", "5000", "--results", dir])).toBe(0);
    const out = printed.out();
    expect(out).toMatch(/Stack c7g: to serve 5,000 req\/s at p90 <= 100 ms, use 16 x c7g\.4xlarge for \$6,774\.40\/month \(\$9\.28\/h\)\./);
    expect(out).toMatch(/nodes: 16, servers: 80/);
    expect(out).toMatch(/cost: \$9\.28\/h, \$6,774\.40\/month for the fleet nodes/);
  });

  it("ranks several stacks by $/month, and takes the headroom from the command line", async () => {
    const dir = await resultsDir({ "matrix-a/c7g.json": capacityResults("c7g", 400), "matrix-a/c7i.json": capacityResults("c7i", 900) });
    const printed = captureConsole();
    expect(await main(["plan", "--stack", "c7g,c7i", "--for-rate", "5000", "--headroom", "0", "--results", dir, "--json"])).toBe(0);
    const { sizings } = JSON.parse(printed.out());
    // c7i.4xlarge: 900 per node -> 6 nodes at $0.714/h ($4.28/h); c7g.4xlarge: 400 -> 13 at $0.58/h ($7.54/h).
    expect(sizings.map((s: { stack: string; nodes: number }) => [s.stack, s.nodes])).toEqual([
      ["c7i", 6],
      ["c7g", 13],
    ]);
  });

  it("without a results file exits 1 and names the command that measures the stack", async () => {
    const dir = await resultsDir({ "matrix-a/c7i.json": capacityResults("c7i", 900) });
    const printed = captureConsole();
    expect(await main(["plan", "--stack", "c7g", "--for-rate", "5000", "--results", dir])).toBe(1);
    expect(printed.out()).toMatch(/No measured capacity for stack c7g under .*: .*Run `npx fleet matrix --stacks c7g` to measure it/);
  });

  it("refuses a rate that is not a number, and several stacks without a rate, saying what to write", async () => {
    const printed = captureConsole();
    expect(await main(["plan", "--stack", "c7g", "--for-rate", "lots"])).toBe(2);
    expect(printed.err()).toContain('--for-rate must be a number, e.g. --for-rate 5000; got "lots".');
    expect(await main(["plan", "--stack", "c7g,c7i"])).toBe(2);
    expect(printed.err()).toContain("Give --for-rate R (requests per second to serve) or set loadTest.sizing.forRate in stack c7g.");
  });
});
