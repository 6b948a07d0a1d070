// What `fleet matrix` and `fleet matrix --tune` do before anything is created: the stack list, the tools and
// credentials, each stack's plan (and quotas), the endpoint's CIDR, the model dirs; and the production
// dependencies both run with.
import path from "node:path";
import { defaultStacksDir, listStacks, loadStackConfig, planStack, type FleetConfig, type StackPlan } from "@inference-fleet/fleet-config";
import { UsageError } from "../command.js";
import { ensureModel } from "../local/ensure-model.js";
import { endpointAccessOverrides, type PublicIpLookup } from "./endpoint-access.js";
import { formatPreflightProblems, processEnvironment, runPreflight, type PreflightEnvironment } from "./preflight.js";
import type { MatrixDependencies } from "./run-matrix.js";
import { concurrentQuotaNeeds, matrixPlanProblems } from "./stack-preflight.js";

export interface MatrixMainDependencies {
  readonly environment?: PreflightEnvironment;
  readonly lookupIp?: PublicIpLookup;
}

export interface MatrixSetupOptions {
  /** Comma-separated stack names, as --stacks takes them. */
  readonly stacks: string;
  readonly parallel: string;
  readonly previewOnly?: boolean;
  /** The cluster API endpoint's allowed CIDR for stacks that list none: "auto" (this machine's public address) or a CIDR. */
  readonly endpointCidr?: string;
  /** Read the account's Service Quotas and check the concurrent stacks' needs against them. */
  readonly checkQuotas?: boolean;
}

export interface MatrixSetup {
  readonly stacks: string[];
  readonly parallel: number;
  readonly repoRoot: string;
  readonly stacksDir: string;
  /** Each stack's config with this run's FLEET_* overrides (the endpoint CIDR) applied. */
  readonly configs: ReadonlyMap<string, FleetConfig>;
  /** This run's FLEET_* overrides for a stack's `pulumi up`. */
  readonly envFor: (stack: string) => Record<string, string>;
}

function parseStackList(list: string, known: readonly string[]): string[] {
  const stacks = list
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (stacks.length === 0) throw new UsageError("--stacks needs at least one stack, e.g. --stacks c7i,c7g.");
  const unknown = stacks.filter((s) => !known.includes(s));
  if (unknown.length > 0) throw new UsageError(`Unknown stack(s) ${unknown.join(", ")}: stacks/ has ${known.join(", ")}.`);
  return stacks;
}

function parsePositiveInt(value: string, option: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new UsageError(`--${option} must be a whole number of at least 1, got "${value}".`);
  return parsed;
}

/** The account's applied values of the quotas the concurrent stacks need (--check-quotas). */
async function readQuotaValues(plans: readonly StackPlan[], parallel: number): Promise<Map<string, number>> {
  const { checkQuotas, serviceQuotasClient } = await import("../plan/quota-check.js");
  const checks = await checkQuotas(concurrentQuotaNeeds(plans, parallel), serviceQuotasClient(plans[0]!.region));
  return new Map(checks.map((check) => [check.quota.quotaCode, check.value]));
}

/** Every check that needs nothing created; undefined (the problems printed) when one fails. */
export async function setUpMatrix(options: MatrixSetupOptions, deps: MatrixMainDependencies = {}): Promise<MatrixSetup | undefined> {
  const environment = deps.environment ?? processEnvironment();
  const stacksDir = defaultStacksDir();
  const stacks = parseStackList(options.stacks, listStacks(stacksDir));
  const parallel = parsePositiveInt(options.parallel, "parallel");
  const asWritten = stacks.map((stack) => loadStackConfig(stack, { stacksDir, env: environment.env }));
  const repoRoot = path.dirname(stacksDir);
  const problems = await runPreflight(environment, { previewOnly: options.previewOnly, infraEntry: path.join(repoRoot, "infra", "dist", "index.js") });
  if (problems.length > 0) {
    console.error(formatPreflightProblems(problems));
    return undefined;
  }
  // Stacks without publicAccessCidrs get this machine's address for the API endpoint, as a FLEET_* override of this run only.
  const endpointEnv = await endpointAccessOverrides(asWritten, options.endpointCidr, deps.lookupIp);
  const envFor = (stack: string) => endpointEnv.get(stack) ?? {};
  const configs = new Map(stacks.map((stack) => [stack, loadStackConfig(stack, { stacksDir, env: { ...environment.env, ...envFor(stack) } })]));
  for (const [stack, env] of endpointEnv)
    console.log(`[${stack}] cluster API endpoint open to ${JSON.parse(Object.values(env)[0]!).join(", ")} only (this machine; --endpoint-cidr to choose)`);
  const plans = [...configs.values()].map(planStack);
  const quotaValues = options.checkQuotas ? await readQuotaValues(plans, parallel) : undefined;
  problems.push(...matrixPlanProblems(plans, parallel, quotaValues));
  if (problems.length > 0) {
    console.error(formatPreflightProblems(problems));
    return undefined;
  }
  // The program uploads local model dirs; build the missing ones now (nothing is downloaded).
  // Uploaded to the stack's nodes: an int8 model gets the weights their CPU wants (7-bit without VNNI).
  for (const config of configs.values()) await ensureModel(config, repoRoot, (line) => console.log(`[${config.stack}] ${line}`), { int8For: "stack" });
  return { stacks, parallel, repoRoot, stacksDir, configs, envFor };
}

/** The real Pulumi workspace, kubectl Job watcher and S3 collector, with the setup's configs and console logging. */
export async function productionDependencies(setup: MatrixSetup): Promise<MatrixDependencies> {
  // Loaded only here: the Pulumi SDK and the AWS SDK take a while to import and no other command needs them.
  const [{ pulumiWorkspace }, { kubectlJobWatcher }, { s3ResultsCollector }] = await Promise.all([
    import("./pulumi-workspace.js"),
    import("./kubectl-job-watcher.js"),
    import("./s3-results-collector.js"),
  ]);
  return {
    workspace: pulumiWorkspace(setup.repoRoot, setup.envFor),
    jobWatcher: kubectlJobWatcher(),
    collector: s3ResultsCollector(),
    loadConfig: (stack) => setup.configs.get(stack)!,
    log: (line) => console.log(line),
  };
}
