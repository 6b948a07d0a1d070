// Before the matrix touches anything: are the tools and credentials it needs there? Says what is missing and how to get it.
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";

/** Result of running a probe command: `missing` when the binary is not on PATH at all. */
export type ProbeResult =
  { readonly status: "ok"; readonly output: string } | { readonly status: "missing" } | { readonly status: "failed"; readonly output: string };

type Probe = (command: string, args: readonly string[]) => Promise<ProbeResult>;

export interface PreflightEnvironment {
  readonly probe: Probe;
  readonly env: NodeJS.ProcessEnv;
  readonly homeDir: string;
  readonly readFile: (file: string) => string | undefined;
  readonly exists: (file: string) => boolean;
}

export interface PreflightProblem {
  readonly what: string;
  readonly fix: string;
}

/** Runs a command with a time limit; never throws. */
function processProbe(env: NodeJS.ProcessEnv = process.env): Probe {
  return (command, args) =>
    new Promise((resolve) => {
      execFile(command, args, { env, timeout: 20_000 }, (error, stdout, stderr) => {
        const output = `${stdout}${stderr}`.trim();
        if (!error) resolve({ status: "ok", output });
        else if ((error as NodeJS.ErrnoException).code === "ENOENT") resolve({ status: "missing" });
        else resolve({ status: "failed", output: output || error.message });
      });
    });
}

export function processEnvironment(env: NodeJS.ProcessEnv = process.env): PreflightEnvironment {
  return {
    probe: processProbe(env),
    env,
    homeDir: env.HOME ?? homedir(),
    readFile: (file) => (existsSync(file) ? readFileSync(file, "utf8") : undefined),
    exists: existsSync,
  };
}

function firstLine(text: string): string {
  return (
    text
      .split("\n")
      .find((line) => line.trim())
      ?.trim() ?? ""
  );
}

async function checkPulumi({ probe }: PreflightEnvironment): Promise<PreflightProblem | undefined> {
  const result = await probe("pulumi", ["version"]);
  if (result.status === "ok") return undefined;
  return {
    what: result.status === "missing" ? "Pulumi CLI: `pulumi` is not on PATH." : `Pulumi CLI: \`pulumi version\` failed: ${firstLine(result.output)}`,
    fix:
      "Install it (curl -fsSL https://get.pulumi.com | sh, or brew install pulumi/tap/pulumi; see https://www.pulumi.com/docs/install/), then `pulumi " +
      "login` (or set PULUMI_ACCESS_TOKEN).",
  };
}

/** Profiles named in a shared credentials or config file ("[name]" or "[profile name]"). */
function profilesIn(text: string | undefined): Set<string> {
  const names = new Set<string>();
  for (const match of (text ?? "").matchAll(/^\s*\[\s*(?:profile\s+)?([^\]\s]+)\s*\]/gm)) names.add(match[1]!);
  return names;
}

/** The credential sources the AWS SDK's default chain would find, without calling AWS. */
export function findAwsCredentialSource(environment: PreflightEnvironment): string | undefined {
  const { env, homeDir, readFile } = environment;
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) return "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY";
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE && env.AWS_ROLE_ARN) return "web identity token (OIDC) for AWS_ROLE_ARN";
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI) return "container credentials endpoint";
  const profile = env.AWS_PROFILE ?? env.AWS_DEFAULT_PROFILE ?? "default";
  const credentialsFile = env.AWS_SHARED_CREDENTIALS_FILE ?? path.join(homeDir, ".aws", "credentials");
  const configFile = env.AWS_CONFIG_FILE ?? path.join(homeDir, ".aws", "config");
  if (profilesIn(readFile(credentialsFile)).has(profile)) return `profile "${profile}" in ${credentialsFile}`;
  if (profilesIn(readFile(configFile)).has(profile)) return `profile "${profile}" in ${configFile}`;
  return undefined;
}

function checkAwsCredentials(environment: PreflightEnvironment): PreflightProblem | undefined {
  if (findAwsCredentialSource(environment)) return undefined;
  const profile = environment.env.AWS_PROFILE;
  return {
    what: profile
      ? `AWS credentials: AWS_PROFILE=${profile} is not in ~/.aws/credentials or ~/.aws/config.`
      : "AWS credentials: none found (no AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, shared credentials file or web identity token).",
    fix:
      "Run `aws configure` or `aws sso login --profile NAME` and export AWS_PROFILE=NAME; in CI, assume a role through OIDC " +
      "(aws-actions/configure-aws-credentials).",
  };
}

async function checkDocker({ probe }: PreflightEnvironment): Promise<PreflightProblem | undefined> {
  // `docker info` needs the engine, unlike `docker version --client`: the images are built by the engine.
  const result = await probe("docker", ["info", "--format", "{{.ServerVersion}}"]);
  if (result.status === "ok" && result.output && !/error/i.test(result.output)) return undefined;
  if (result.status === "missing") {
    return {
      what: "Docker: `docker` is not on PATH.",
      fix: "Install Docker Engine with buildx (https://docs.docker.com/engine/install/) or Docker Desktop: infra builds the model-server images with it.",
    };
  }
  const detail = result.status === "failed" || result.output ? ` (${firstLine(result.output)})` : "";
  return {
    what: `Docker: the client is installed but the engine is not reachable${detail}.`,
    fix:
      "Start the Docker engine (`sudo systemctl start docker`, or open Docker Desktop) and check `docker info` works: infra builds the model-server " +
      "images with it.",
  };
}

async function checkKubectl({ probe }: PreflightEnvironment): Promise<PreflightProblem | undefined> {
  const result = await probe("kubectl", ["version", "--client"]);
  if (result.status === "ok") return undefined;
  return {
    what: result.status === "missing" ? "kubectl: not on PATH." : `kubectl: \`kubectl version --client\` failed: ${firstLine(result.output)}`,
    fix: "Install it (https://kubernetes.io/docs/tasks/tools/): the matrix watches the load-test Job with it.",
  };
}

function checkInfraBuilt({ exists }: PreflightEnvironment, infraEntry: string | undefined): PreflightProblem | undefined {
  if (!infraEntry || exists(infraEntry)) return undefined;
  return {
    what: `The infra program is not built: ${infraEntry} is missing.`,
    fix: "Run `npm run build`: Pulumi runs the infra program from its build output (infra/dist).",
  };
}

export interface PreflightOptions {
  /** Nothing runs in a cluster, so kubectl is not needed. */
  readonly previewOnly?: boolean;
  /** The file Pulumi runs (infra's package.json main), checked to exist. */
  readonly infraEntry?: string;
}

/** Everything missing for the matrix. */
export async function runPreflight(environment: PreflightEnvironment, options: PreflightOptions = {}): Promise<PreflightProblem[]> {
  const checks = await Promise.all([
    Promise.resolve(checkInfraBuilt(environment, options.infraEntry)),
    checkPulumi(environment),
    Promise.resolve(checkAwsCredentials(environment)),
    checkDocker(environment),
    options.previewOnly ? Promise.resolve(undefined) : checkKubectl(environment),
  ]);
  return checks.filter((problem): problem is PreflightProblem => problem !== undefined);
}

export function formatPreflightProblems(problems: readonly PreflightProblem[]): string {
  return [`fleet matrix cannot start: ${problems.length} thing(s) missing.`, ...problems.map((p) => `  - ${p.what}\n    ${p.fix}`)].join("\n");
}
