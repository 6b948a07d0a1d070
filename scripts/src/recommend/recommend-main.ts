// `fleet recommend` wiring: the request, the repo's folders, Ctrl-C, and the production measurers (this machine, or
// AWS through `fleet matrix`'s checks and dependencies). The search itself is in recommend.ts.
import path from "node:path";
import { defaultStacksDir, type QuotaNeed } from "@inference-fleet/fleet-config";
import { watchCtrlC } from "../shared/ctrl-c.js";
import { timestampedDir } from "../local/local-report.js";
import { productionDependencies, setUpMatrix } from "../matrix/matrix-setup.js";
import { findAwsCredentialSource, processEnvironment } from "../matrix/preflight.js";
import type { StartFleetOptions } from "../local/server-fleet.js";
import { measureLocally, measureOnAws } from "./measure.js";
import { recommend, type RecommendContext, type RecommendOutcome } from "./recommend.js";
import { parseRecommendRequest, type RecommendOptionValues } from "./request.js";

/** How long one candidate's load-test Job may run once its stack is up (as `fleet matrix --wait-timeout`'s default). */
const WAIT_TIMEOUT_MS = 30 * 60_000;

export interface RecommendMainOptions extends RecommendOptionValues {
  readonly out?: string;
}

export interface RecommendMainDependencies {
  /** Tests: another stacks folder (its parent is the repo root: .cache/ and results/ go there). */
  readonly stacksDir?: string;
  readonly log?: (line: string) => void;
  /** Tests: how local servers are started (production: `fleet serve`). */
  readonly launch?: StartFleetOptions["launch"];
  readonly env?: NodeJS.ProcessEnv;
}

/** The account's applied values of the quotas the candidates need, each read once. */
async function accountQuotas(needs: readonly QuotaNeed[], region: string): Promise<ReadonlyMap<string, number>> {
  if (!findAwsCredentialSource(processEnvironment())) {
    throw new Error(
      "fleet recommend on AWS reads the account's Service Quotas before it creates anything, and found no AWS credentials: " +
        "run `aws configure` or `aws sso login` and export AWS_PROFILE, or add --local to measure on this machine.",
    );
  }
  const { checkQuotas, serviceQuotasClient } = await import("../plan/quota-check.js");
  const unique = [...new Map(needs.map((need) => [need.quotaCode, need])).values()];
  const checks = await checkQuotas(unique, serviceQuotasClient(region));
  return new Map(checks.map((check) => [check.quota.quotaCode, check.value]));
}

function commandLineOf(options: RecommendMainOptions): string {
  const flags = Object.entries(options)
    .filter(([name, value]) => value !== undefined && name !== "out")
    .map(([name, value]) => (value === true ? `--${name}` : `--${name} ${String(value)}`));
  return `fleet recommend ${flags.join(" ")}`;
}

export async function recommendMain(options: RecommendMainOptions, deps: RecommendMainDependencies = {}): Promise<RecommendOutcome> {
  const request = parseRecommendRequest(options);
  const stacksDir = deps.stacksDir ?? defaultStacksDir();
  const repoRoot = path.dirname(stacksDir);
  const log = deps.log ?? ((line: string) => console.log(line));
  const abort = watchCtrlC("\nCtrl-C: stopping; finished candidates are saved, and AWS stacks already created are destroyed.", log);
  const context: RecommendContext = {
    repoRoot,
    stacksDir,
    cacheDir: path.join(repoRoot, ".cache", "recommend"),
    outDir: path.resolve(options.out ?? timestampedDir(path.join(repoRoot, "results"), "recommend")),
    env: deps.env ?? process.env,
    log,
    commandLine: commandLineOf(options),
    signal: abort.signal,
    ...(request.local ? {} : { quotaValues: accountQuotas }),
    async startMeasuring(candidates) {
      if (request.local) return measureLocally({ repoRoot, log, ...(deps.launch ? { launch: deps.launch } : {}) });
      const setup = await setUpMatrix({ stacks: candidates.map((c) => c.name).join(","), parallel: "1", endpointCidr: "auto" });
      if (!setup) throw new Error("The AWS checks above failed: fix what they name and run `fleet recommend` again (measurements so far are kept).");
      const { loadConfig: _loadConfig, ...matrix } = await productionDependencies(setup);
      return measureOnAws(matrix, WAIT_TIMEOUT_MS);
    },
  };
  try {
    return await recommend(request, context);
  } finally {
    abort.stop();
  }
}
