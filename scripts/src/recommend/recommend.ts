// `fleet recommend`: model, candidates, quotas, the search's cost (and --max-usd), each candidate measured or
// reused, sized for the rate, ranked by $/month; the answer, the report, and the winner's stack file.
import path from "node:path";
import { displayPath } from "../plan/measured-capacity.js";
import { buildCandidates, type Candidate } from "./candidates.js";
import { stackFilePath, writeGeneratedStack } from "./generated-stack.js";
import type { MeasureCandidate } from "./measure.js";
import { localMachine, MeasurementCache, measurementKey, serverVersions } from "./measurement-cache.js";
import { modelFitProblem } from "./model-fit.js";
import { refuseOverQuota, type QuotaValues } from "./quota-refusal.js";
import { rankCandidates, renderAnswer, type Ranking } from "./ranking.js";
import type { RecommendRequest } from "./request.js";
import { estimateSearchCost, renderEstimate, spentUsd, type SearchCostEstimate } from "./search-cost.js";
import { resolveSearchModel } from "./search-model.js";
import { writeReport, writeWinner, type FinishedCandidate } from "./search-output.js";

export interface RecommendContext {
  readonly repoRoot: string;
  readonly stacksDir: string;
  /** .cache/recommend under the repo root. */
  readonly cacheDir: string;
  /** Where the report goes. */
  readonly outDir: string;
  /** FLEET_* overrides for the candidates' measurement (not written into their stack files). */
  readonly env: NodeJS.ProcessEnv;
  readonly log: (line: string) => void;
  /** The command line, for the stack files' headers. */
  readonly commandLine: string;
  readonly signal?: AbortSignal;
  /** AWS: the account's applied values of the candidates' quotas, read before anything is created. */
  readonly quotaValues?: QuotaValues;
  /** Called once the guard passed and (AWS) the candidates' stack files are written: how to measure them. */
  readonly startMeasuring: (candidates: readonly Candidate[]) => Promise<MeasureCandidate>;
}

export interface RecommendOutcome {
  readonly exitCode: number;
  readonly ranking?: Ranking;
  readonly estimate?: SearchCostEstimate;
  /** Candidates measured by this run, and reused from earlier ones (stack names). */
  readonly measured: string[];
  readonly reused: string[];
  /** The winner's stack name, when one was written. */
  readonly winnerStack?: string;
  readonly answer?: string;
}

/** The candidate as the name its stack file was written under (another one when the user owns a file of its name). */
function written(candidate: Candidate, name: string): Candidate {
  return { ...candidate, name, config: { ...candidate.config, stack: name } };
}

const usd = (n: number) => `$${n.toFixed(2)}`;

export async function recommend(request: RecommendRequest, context: RecommendContext): Promise<RecommendOutcome> {
  const { log } = context;
  const cache = new MeasurementCache(context.cacheDir);
  const model = await resolveSearchModel(request.model, { repoRoot: context.repoRoot, cacheDir: context.cacheDir, local: request.local, log });
  const built = buildCandidates({
    request,
    stacksDir: context.stacksDir,
    env: context.env,
    modelName: model.name,
    modelSource: (precision, config) => model.sourceFor(precision, config),
    commandLine: context.commandLine,
  });
  await model.prepare(log);
  const fitting = built.candidates.filter((candidate) => {
    const problem = modelFitProblem(candidate.config, model.modelBytes(candidate.config.model.source));
    if (problem) built.refused.push({ label: candidate.label, reason: problem });
    return !problem;
  });
  for (const refused of built.refused) log(`${refused.label}: not a candidate: ${refused.reason}`);

  // What earlier runs measured with the same inputs is reused; the rest is measured.
  const where = request.local ? `local ${localMachine()}` : "aws";
  const versions = serverVersions(context.repoRoot);
  const finished: FinishedCandidate[] = [];
  const reused: string[] = [];
  let reusedUsd = 0;
  const toMeasure: Candidate[] = [];
  for (const candidate of fitting) {
    const key = measurementKey(candidate.config, where, versions);
    const cached = await cache.read(key);
    if (cached) {
      log(`${candidate.label}: reusing the measurement of ${cached.measuredAt} (${displayPath(path.join(cache.dir, key))}); nothing is started for it.`);
      finished.push({ candidate, result: cached.result, file: displayPath(path.join(cache.dir, key, "results.json")) });
      reused.push(candidate.name);
      reusedUsd += cached.usd;
    } else {
      toMeasure.push(candidate);
    }
  }
  const quota = await refuseOverQuota(toMeasure, context.quotaValues);
  for (const refused of quota.refused) log(`${refused.label}: not measured: ${refused.reason}`);
  const refused = [...built.refused, ...quota.refused];

  const estimate = estimateSearchCost(
    quota.go.map((c) => c.config),
    request.local,
  );
  log(renderEstimate(estimate, request.local, reused.length));
  if (request.maxUsd !== undefined && estimate.usd > request.maxUsd) {
    log(
      `Refused: the search is estimated at ${usd(estimate.usd)}, over --max-usd ${usd(request.maxUsd)}; nothing was created. ` +
        "Raise --max-usd, measure fewer --types or --precision values, or give a smaller --budget.",
    );
    return { exitCode: 1, estimate, measured: [], reused };
  }

  const measured: string[] = [];
  let spent = 0;
  if (quota.go.length > 0) {
    // Pulumi reads each stack's config from its file: the candidates' files are written (marked as generated) first.
    const names = request.local ? quota.go : quota.go.map((c) => written(c, writeGeneratedStack(context.stacksDir, c.name, c.text)));
    const measure = await context.startMeasuring(names);
    for (const [index, candidate] of names.entries()) {
      if (context.signal?.aborted) break;
      log(`[${index + 1}/${names.length}] measuring ${candidate.label} (stack ${candidate.name}) ...`);
      const started = Date.now();
      const outcome = await measure(candidate, context.signal).catch((error: unknown) => ({ failure: (error as Error).message }));
      const seconds = (Date.now() - started) / 1000;
      const usdSpent = spentUsd(candidate.config, seconds, request.local);
      spent += usdSpent;
      if ("failure" in outcome) {
        log(`[${index + 1}/${names.length}] ${candidate.label}: ${outcome.failure} (not saved: the next run measures it again)`);
        refused.push({ label: candidate.label, reason: `not measured: ${outcome.failure}` });
        continue;
      }
      const key = measurementKey(candidate.config, where, versions);
      const folder = cache.write(key, { result: outcome.result, seconds, usd: usdSpent, measuredAt: outcome.result.endTime }, candidate.label);
      log(`[${index + 1}/${names.length}] ${candidate.label}: measured in ${Math.round(seconds)} s, saved in ${displayPath(folder)}`);
      finished.push({ candidate, result: outcome.result, file: displayPath(path.join(folder, "results.json")) });
      measured.push(candidate.name);
    }
  }

  const ranking = rankCandidates(finished, refused);
  const answer = renderAnswer(ranking, request.local);
  const title = `fleet recommend ${request.model} at ${request.slo} for ${request.rate} req/s${request.local ? " (this machine)" : ""}`;
  writeReport(context.outDir, finished, answer, title);
  log("");
  log(answer);
  let winnerStack: string | undefined;
  const winner = ranking.ranked[0];
  if (winner) {
    try {
      winnerStack = writeWinner(winner, context, model.name, answer);
      const file = displayPath(stackFilePath(context.stacksDir, winnerStack));
      log(`\nWrote ${file} (checked like \`fleet config check\` and \`fleet plan\`): \`pulumi up --stack ${winnerStack}\` deploys it.`);
    } catch (error) {
      log(`\nThe winner's stack file was not written: ${(error as Error).message}`);
    }
  }
  log(`Report: ${displayPath(context.outDir)}/ (summary.md, report.html with every candidate's curve on shared axes, one results file per candidate)`);
  log(
    `Search cost: ${request.local ? "no cloud cost" : `${usd(spent)} spent (estimated ${usd(estimate.usd)})`}; ` +
      `${measured.length} candidate(s) measured now, ${reused.length} reused from earlier runs` +
      (reusedUsd > 0 ? ` (which cost ${usd(reusedUsd)} when they were made).` : "."),
  );
  const exitCode = context.signal?.aborted ? 130 : winner && winnerStack ? 0 : 1;
  return { exitCode, ranking, estimate, measured, reused, answer, ...(winnerStack ? { winnerStack } : {}) };
}
