// `fleet recommend`: model, candidates, quotas, the search's cost (and --max-usd), each candidate measured or
// reused, sized for the rate, ranked by $/month; the answer, the report, and the winner's stack file.
import path from "node:path";
import { displayPath } from "../plan/measured-capacity.js";
import { buildCandidates, type Candidate, type RefusedCandidate } from "./candidates.js";
import { stackFilePath, writeGeneratedStack } from "./generated-stack.js";
import type { MeasureCandidate } from "./measure.js";
import { localMachine, MeasurementCache, measurementKey, serverVersions } from "./measurement-cache.js";
import { modelFitProblem } from "./model-fit.js";
import { refuseOverQuota, type QuotaValues } from "./quota-refusal.js";
import { rankCandidates, renderAnswer, type Ranking } from "./ranking.js";
import type { RecommendRequest } from "./request.js";
import { estimateSearchCost, renderEstimate, spentUsd, type SearchCostEstimate } from "./search-cost.js";
import { resolveSearchModel, type SearchModel } from "./search-model.js";
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

/** The request's candidates, each with the search's model, and those refused before the model is looked at. */
function searchCandidates(request: RecommendRequest, context: RecommendContext, model: SearchModel): { candidates: Candidate[]; refused: RefusedCandidate[] } {
  return buildCandidates({
    request,
    stacksDir: context.stacksDir,
    env: context.env,
    modelName: model.name,
    modelSource: (precision, config) => model.sourceFor(precision, config),
    commandLine: context.commandLine,
  });
}

/** The candidates the model fits; the others go to `refused` with the reason. */
function refuseModelMisfits(candidates: Candidate[], model: SearchModel, refused: RefusedCandidate[]): Candidate[] {
  return candidates.filter((candidate) => {
    const problem = modelFitProblem(candidate.config, model.modelBytes(candidate.config.model.source));
    if (problem) refused.push({ label: candidate.label, reason: problem });
    return !problem;
  });
}

/** Where and with what server code a measurement is made: what a cached one must match to be reused. */
interface MeasurementPlace {
  readonly cache: MeasurementCache;
  readonly where: string;
  readonly versions: Record<string, string>;
}

/** What earlier runs measured with the same inputs is reused; the rest is to be measured. */
async function reuseMeasurements(candidates: Candidate[], place: MeasurementPlace, log: (line: string) => void) {
  const { cache } = place;
  const finished: FinishedCandidate[] = [];
  const reused: string[] = [];
  let reusedUsd = 0;
  const toMeasure: Candidate[] = [];
  for (const candidate of candidates) {
    const key = measurementKey(candidate.config, place.where, place.versions);
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
  return { finished, reused, reusedUsd, toMeasure };
}

/**
 * Measures each candidate in turn (until Ctrl-C), saving each measurement; adds them to `finished`, and a failed one to
 * `refused`. Returns the stacks measured and the dollars spent.
 */
async function measureCandidates(
  candidates: Candidate[],
  { request, context, place }: { request: RecommendRequest; context: RecommendContext; place: MeasurementPlace },
  { finished, refused }: { finished: FinishedCandidate[]; refused: RefusedCandidate[] },
): Promise<{ measured: string[]; spent: number }> {
  const { log } = context;
  const measured: string[] = [];
  let spent = 0;
  if (candidates.length === 0) return { measured, spent };
  // Pulumi reads each stack's config from its file: the candidates' files are written (marked as generated) first.
  const names = request.local ? candidates : candidates.map((c) => written(c, writeGeneratedStack(context.stacksDir, c.name, c.text)));
  const measure = await context.startMeasuring(names);
  for (const [index, candidate] of names.entries()) {
    if (context.signal?.aborted) break;
    const counter = `[${index + 1}/${names.length}]`;
    log(`${counter} measuring ${candidate.label} (stack ${candidate.name}) ...`);
    const started = Date.now();
    const outcome = await measure(candidate, context.signal).catch((error: unknown) => ({ failure: (error as Error).message }));
    const seconds = (Date.now() - started) / 1000;
    const usdSpent = spentUsd(candidate.config, seconds, request.local);
    spent += usdSpent;
    if ("failure" in outcome) {
      log(`${counter} ${candidate.label}: ${outcome.failure} (not saved: the next run measures it again)`);
      refused.push({ label: candidate.label, reason: `not measured: ${outcome.failure}` });
      continue;
    }
    const key = measurementKey(candidate.config, place.where, place.versions);
    const folder = place.cache.write(key, { result: outcome.result, seconds, usd: usdSpent, measuredAt: outcome.result.endTime }, candidate.label);
    log(`${counter} ${candidate.label}: measured in ${Math.round(seconds)} s, saved in ${displayPath(folder)}`);
    finished.push({ candidate, result: outcome.result, file: displayPath(path.join(folder, "results.json")) });
    measured.push(candidate.name);
  }
  return { measured, spent };
}

/** The winner's stack file, written and logged; undefined when there is no winner or it could not be written. */
function writeWinnerStack(ranking: Ranking, context: RecommendContext, modelName: string, answer: string): string | undefined {
  const winner = ranking.ranked[0];
  if (!winner) return undefined;
  try {
    const winnerStack = writeWinner(winner, context, modelName, answer);
    const file = displayPath(stackFilePath(context.stacksDir, winnerStack));
    context.log(`\nWrote ${file} (checked like \`fleet config check\` and \`fleet plan\`): \`pulumi up --stack ${winnerStack}\` deploys it.`);
    return winnerStack;
  } catch (error) {
    context.log(`\nThe winner's stack file was not written: ${(error as Error).message}`);
    return undefined;
  }
}

export async function recommend(request: RecommendRequest, context: RecommendContext): Promise<RecommendOutcome> {
  const { log } = context;
  const cache = new MeasurementCache(context.cacheDir);
  const model = await resolveSearchModel(request.model, { repoRoot: context.repoRoot, cacheDir: context.cacheDir, local: request.local, log });
  const built = searchCandidates(request, context, model);
  await model.prepare(log);
  const fitting = refuseModelMisfits(built.candidates, model, built.refused);
  for (const refused of built.refused) log(`${refused.label}: not a candidate: ${refused.reason}`);

  const place = { cache, where: request.local ? `local ${localMachine()}` : "aws", versions: serverVersions(context.repoRoot) };
  const { finished, reused, reusedUsd, toMeasure } = await reuseMeasurements(fitting, place, log);
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
  const { measured, spent } = await measureCandidates(quota.go, { request, context, place }, { finished, refused });

  const ranking = rankCandidates(finished, refused);
  const answer = renderAnswer(ranking, request.local);
  const title = `fleet recommend ${request.model} at ${request.slo} for ${request.rate} req/s${request.local ? " (this machine)" : ""}`;
  writeReport(context.outDir, finished, answer, title);
  log("");
  log(answer);
  const winnerStack = writeWinnerStack(ranking, context, model.name, answer);
  log(`Report: ${displayPath(context.outDir)}/ (summary.md, report.html with every candidate's curve on shared axes, one results file per candidate)`);
  log(
    `Search cost: ${request.local ? "no cloud cost" : `${usd(spent)} spent (estimated ${usd(estimate.usd)})`}; ` +
      `${measured.length} candidate(s) measured now, ${reused.length} reused from earlier runs` +
      (reusedUsd > 0 ? ` (which cost ${usd(reusedUsd)} when they were made).` : "."),
  );
  const exitCode = context.signal?.aborted ? 130 : winnerStack ? 0 : 1;
  return { exitCode, ranking, estimate, measured, reused, answer, ...(winnerStack ? { winnerStack } : {}) };
}
