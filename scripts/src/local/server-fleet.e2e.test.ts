import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadStackConfig } from "@inference-fleet/fleet-config";
import { generateModel } from "@inference-fleet/model-zoo";
import { describe, expect, it } from "vitest";
import { parseCpuList, planCpuPinning } from "./cpu-pinning.js";
import { serverEnvironment, startServerFleet } from "./server-fleet.js";
import type { ServerLaunch } from "@inference-fleet/model-server";

const config = loadStackConfig("dev", { env: {} });

/** A real child process running a Node one-liner in place of the model server. */
function nodeScript(source: string) {
  return (env: Record<string, string>): ServerLaunch => ({ command: process.execPath, args: ["-e", source], env: { ...process.env, ...env } });
}

// Answers readiness on PORT like the model server, and notes its pid so the test can check it was stopped.
const readyServer = `
  const http = require("node:http");
  http.createServer((req, res) => { res.statusCode = req.url === "/v2/health/ready" ? 200 : 404; res.end(); })
    .listen(Number(process.env.PORT), process.env.HOST);
  process.on("SIGTERM", () => process.exit(0));
`;

describe("startServerFleet", () => {
  it("starts numServers servers on free loopback ports, names the models, and stops them", async () => {
    const fleet = await startServerFleet(config, { modelDir: "/models/x", launch: nodeScript(readyServer) });
    expect(fleet.targets).toHaveLength(config.server.numServers);
    expect(new Set(fleet.targets).size).toBe(config.server.numServers);
    for (const target of fleet.targets) expect(target).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(fleet.models).toEqual(["model0", "model1"]);
    await fleet.stop();
    for (const target of fleet.targets) await expect(fetch(`${target}/v2/health/ready`)).rejects.toThrow();
  });

  it("fails with the server's own output when it exits before it is ready", async () => {
    const crash = nodeScript(`console.error("Model directory /models/x has no model.onnx: run fleet model generate."); process.exit(3);`);
    await expect(startServerFleet(config, { modelDir: "/models/x", launch: crash })).rejects.toThrow(
      /model-server-\d exited \(exit code 3\) before it was ready\. Its output:\nModel directory \/models\/x has no model\.onnx/,
    );
  });

  it("fails after the readiness timeout and stops the servers it started", async () => {
    const pidDir = mkdtempSync(path.join(tmpdir(), "fleet-pids-"));
    const neverReady = nodeScript(
      `require("node:fs").writeFileSync(${JSON.stringify(pidDir)} + "/" + process.pid, ""); console.log("loading ..."); setInterval(() => {}, 1000); ` +
        `process.on("SIGTERM", () => process.exit(0));`,
    );
    await expect(startServerFleet(config, { modelDir: "/m", readyTimeoutMs: 2000, launch: neverReady })).rejects.toThrow(
      /was not ready at http:\/\/127\.0\.0\.1:\d+\/v2\/health\/ready within 2 s\. Its output:\nloading/,
    );
    const pids = readdirSync(pidDir).map(Number);
    expect(pids).toHaveLength(config.server.numServers);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
  });
});

describe("serverEnvironment", () => {
  it("passes the stack's server settings under the model server's variable names, on loopback and quiet", () => {
    expect(serverEnvironment(config, "/m", 9000)).toMatchObject({
      MODEL_DIR: "/m",
      NUM_MODELS: "2",
      PORT: "9000",
      HOST: "127.0.0.1",
      MAX_BATCH: String(config.server.maxBatch),
      MAX_QUEUE_DELAY_MS: String(config.server.maxQueueDelayMs),
      MAX_SEQ_LENGTH: "128",
      PADDING: "dynamic",
      QUIET: "true",
      EXECUTION_PROVIDERS: "cpu",
    });
    // Threads and inference workers are left to each server's own CPU budget unless the stack sets them.
    expect(serverEnvironment(config, "/m", 9000)).not.toHaveProperty("THREADS");
  });
});

describe("startServerFleet with fleet serve", () => {
  it("holds each real server to its pod's CPUs where this machine can (else says why), and the server sizes itself to them", { timeout: 60_000 }, async () => {
    const modelDir = (await generateModel({ size: "tiny", seed: 7, outDir: path.join(mkdtempSync(path.join(tmpdir(), "pinned-")), "tiny") })).dir;
    const plan = planCpuPinning(config);
    const log: string[] = [];
    const fleet = await startServerFleet(config, { modelDir, log: (line) => log.push(line) });
    try {
      expect(log).toContain(plan.note);
      const affinity = fleet.servers.map((server) => {
        const status = readFileSync(`/proc/${server.pid}/status`, "utf8");
        return parseCpuList(/Cpus_allowed_list:\s*(\S+)/.exec(status)![1]!);
      });
      if (plan.pinning) {
        // dev: two servers of cpu "1", one CPU each, not the same one.
        expect(affinity).toEqual(plan.pinning.blocks.slice(0, 2));
        // Its CPU budget comes from that affinity: one CPU, so no inference worker and 1 ONNX Runtime thread, as in a 1-CPU pod.
        expect(fleet.servers[0]!.output()).toContain("cpu budget 1 (CPU affinity): no inference worker, 1 ONNX Runtime thread on the main thread");
      } else {
        for (const cpus of affinity) expect(cpus.length).toBeGreaterThan(0);
      }
    } finally {
      await fleet.stop();
    }
  });
});
