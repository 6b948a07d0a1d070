import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "./cli.js";
import { commands } from "./commands/index.js";
import { captureConsole } from "./testing/capture-console.js";

function capture() {
  const { outLines, errLines } = captureConsole();
  return { out: outLines, err: errLines };
}

afterEach(() => vi.restoreAllMocks());

describe("fleet CLI", () => {
  it.each(commands.map((c) => [c.path.join(" "), c] as const))("`fleet %s --help` prints usage and every option", async (_name, command) => {
    const { out } = capture();
    expect(await main([...command.path, "--help"])).toBe(0);
    const text = out.join("\n");
    expect(text).toContain(`Usage: fleet ${command.path.join(" ")}`);
    for (const option of Object.keys(command.options)) expect(text).toContain(`--${option}`);
  });

  it("lists every command with no arguments", async () => {
    const { out } = capture();
    expect(await main([])).toBe(0);
    for (const command of commands) expect(out.join("\n")).toContain(command.path.join(" "));
  });

  it("rejects an unknown command with exit code 2", async () => {
    const { err } = capture();
    expect(await main(["fly", "away"])).toBe(2);
    expect(err.join("\n")).toContain('unknown command "fly away"');
  });

  it("names only the command words and suggests the nearest command for a typo", async () => {
    const { err } = capture();
    expect(await main(["locl", "--stack", "dev"])).toBe(2);
    expect(err.join("\n")).toMatch(/fleet: unknown command "locl"\. Did you mean "fleet local"/);
  });

  it("rejects an unknown option with exit code 2 and a pointer to --help", async () => {
    const { err } = capture();
    expect(await main(["config", "check", "--stak", "dev"])).toBe(2);
    expect(err.join("\n")).toMatch(/--stak[\s\S]*fleet config check --help/);
  });

  it("config check validates a stack and names a bad field", async () => {
    const { out, err } = capture();
    expect(await main(["config", "check", "--stack", "c7g", "--json"])).toBe(0);
    expect(JSON.parse(out.join("\n"))).toMatchObject({ stack: "c7g", server: { cpuArch: "arm64" } });
    vi.stubEnv("FLEET_SERVER_NUM_SERVERS", "0");
    try {
      expect(await main(["config", "check", "--stack", "dev"])).toBe(1);
    } finally {
      vi.unstubAllEnvs();
    }
    expect(err.join("\n")).toContain("server.numServers");
  });
});
