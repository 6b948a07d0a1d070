import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServerProcess } from "./server-process.js";

// A stand-in server (any command, as the Python Neuron server is): prints a line, answers readiness on PORT.
const READY_SERVER = `
console.log("starting on " + process.env.PORT + " " + process.env.GREETING);
const answer = (req, res) => res.writeHead(req.url === "/v2/health/ready" ? 200 : 404).end();
require("node:http").createServer(answer).listen(Number(process.env.PORT), process.env.HOST);
`;
const launch = (env: Record<string, string>) => ({ command: process.execPath, args: ["-e", READY_SERVER], env: { ...process.env, ...env } });

describe("startServerProcess with another command", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "server-process-"));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("starts it on a free port with the given environment, waits for readiness and stops it", async () => {
    const server = await startServerProcess({ GREETING: "hello" }, { name: "stand-in", launch });
    try {
      expect((await fetch(`${server.url}/v2/health/ready`)).status).toBe(200);
      expect(server.output()).toBe(`starting on ${server.port} hello`);
    } finally {
      expect(await server.stop()).toMatchObject({ signal: "SIGTERM" });
    }
  });

  it("writes the output to logFile instead of a pipe, and still reports it", async () => {
    const logFile = join(root, "server.log");
    const server = await startServerProcess({ GREETING: "to a file" }, { launch, logFile });
    await server.stop();
    expect(await readFile(logFile, "utf8")).toBe(`starting on ${server.port} to a file\n`);
    expect(server.output()).toBe(`starting on ${server.port} to a file`);
  });

  it("says what the server printed when it exits before it is ready", async () => {
    const failing = () => ({ command: process.execPath, args: ["-e", 'console.error("no model here"); process.exit(3)'], env: { ...process.env } });
    await expect(startServerProcess({}, { name: "stand-in", launch: failing })).rejects.toThrow(
      /stand-in exited \(exit code 3\) before it was ready[^]*no model here/,
    );
  });
});
