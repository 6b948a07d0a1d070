import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../cli.js";
import { findAwsCredentialSource, runPreflight, type PreflightEnvironment, type ProbeResult } from "./preflight.js";

function environment(env: NodeJS.ProcessEnv, files: Record<string, string> = {}, probes: Record<string, ProbeResult> = {}): PreflightEnvironment {
  return {
    env,
    homeDir: "/home/u",
    readFile: (file) => files[file],
    exists: (file) => file in files,
    probe: async (command) => probes[command] ?? { status: "ok", output: "fine" },
  };
}

describe("findAwsCredentialSource", () => {
  it.each([
    ["access keys", { AWS_ACCESS_KEY_ID: "AKIA", AWS_SECRET_ACCESS_KEY: "s" }, {}, /AWS_ACCESS_KEY_ID/],
    ["OIDC web identity", { AWS_WEB_IDENTITY_TOKEN_FILE: "/t", AWS_ROLE_ARN: "arn:aws:iam::1:role/ci" }, {}, /web identity/],
    ["the default profile", {}, { "/home/u/.aws/credentials": "[default]\naws_access_key_id=x\n" }, /profile "default"/],
    [
      "an SSO profile in config",
      { AWS_PROFILE: "dev" },
      { "/home/u/.aws/config": "[profile dev]\nsso_session=x\n" },
      /profile "dev" in \/home\/u\/.aws\/config/,
    ],
  ])("finds %s", (_name, env, files, expected) => {
    expect(findAwsCredentialSource(environment(env, files))).toMatch(expected);
  });

  it("does not take a secret key alone or another profile", () => {
    expect(
      findAwsCredentialSource(environment({ AWS_SECRET_ACCESS_KEY: "s", AWS_PROFILE: "prod" }, { "/home/u/.aws/credentials": "[default]\n" })),
    ).toBeUndefined();
  });
});

describe("runPreflight", () => {
  it("reports nothing when everything is there", async () => {
    expect(await runPreflight(environment({ AWS_ACCESS_KEY_ID: "a", AWS_SECRET_ACCESS_KEY: "s" }))).toEqual([]);
  });

  it("asks for a build when the infra program is not built", async () => {
    const env = environment({ AWS_ACCESS_KEY_ID: "a", AWS_SECRET_ACCESS_KEY: "s" }, { "/repo/infra/dist/index.js": "" });
    expect(await runPreflight(env, { infraEntry: "/repo/infra/dist/index.js" })).toEqual([]);
    expect((await runPreflight(env, { infraEntry: "/elsewhere/infra/dist/index.js" })).map((p) => p.fix)).toEqual([expect.stringContaining("npm run build")]);
  });

  it("needs no kubectl for --preview-only", async () => {
    const env = environment({ AWS_ACCESS_KEY_ID: "a", AWS_SECRET_ACCESS_KEY: "s" }, {}, { kubectl: { status: "missing" } });
    expect(await runPreflight(env, { previewOnly: true })).toEqual([]);
    expect((await runPreflight(env)).map((p) => p.what)).toEqual(["kubectl: not on PATH."]);
  });
});

describe("fleet matrix preflight through the CLI, with real processes", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it("says what is missing and how to get it, exit code 1, no stack trace", async () => {
    // A PATH with only a docker client whose engine is down, and a home with no AWS files.
    const root = mkdtempSync(path.join(tmpdir(), "fleet-preflight-"));
    const bin = path.join(root, "bin");
    mkdirSync(bin);
    writeFileSync(
      path.join(bin, "docker"),
      "#!/bin/sh\necho 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' >&2\nexit 1\n",
    );
    chmodSync(path.join(bin, "docker"), 0o755);
    vi.stubEnv("PATH", bin);
    vi.stubEnv("HOME", root);
    for (const name of [
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
      "AWS_PROFILE",
      "AWS_DEFAULT_PROFILE",
      "AWS_WEB_IDENTITY_TOKEN_FILE",
      "AWS_ROLE_ARN",
      "AWS_SHARED_CREDENTIALS_FILE",
      "AWS_CONFIG_FILE",
      "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
      "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ]) {
      vi.stubEnv(name, undefined);
    }
    const err: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...args) => void err.push(args.join(" ")));
    vi.spyOn(console, "log").mockImplementation(() => undefined);

    expect(await main(["matrix", "--stacks", "c7i,c7g"])).toBe(1);
    const text = err.join("\n");
    // 4, or 5 where infra/dist is not built yet (npm test builds it first).
    expect(text).toMatch(/fleet matrix cannot start: [45] thing\(s\) missing\./);
    expect(text).toContain("Pulumi CLI: `pulumi` is not on PATH.");
    expect(text).toContain("https://www.pulumi.com/docs/install/");
    expect(text).toContain("AWS credentials: none found");
    expect(text).toContain("Docker: the client is installed but the engine is not reachable (Cannot connect to the Docker daemon");
    expect(text).toContain("kubectl: not on PATH.");
    expect(text).not.toMatch(/^\s+at /m);
  });
});
