// `fleet tune`'s search over server settings within a time budget: a coarse grid measured at low
// precision, then successive halving (the best coarse points again, at a finer precision) with the
// points around the best, then the winner and the shipped settings measured once more at the
// stack's precision, in the same run, so "beats shipped" compares like with like. The measurements
// come from an injected evaluator (servers on this machine, or a redeployed cluster fleet).
import type { FleetConfig } from "@inference-fleet/fleet-config";
import type { CapacityVerdict } from "@inference-fleet/load-test";
import { candidateKey, describeCandidate, shippedCandidate, type Placement, type TuneCandidate } from "./candidate.js";
import { coarseGrid, refineAround, survivors, type Scored } from "./grid.js";

export type Rung = "coarse" | "refine" | "final";

/** How finely one measurement searches the arrival rate. */
export interface Fidelity {
  readonly rung: Rung;
  /** The capacity search stops once the rate that breaks is within this share of the one that holds. */
  readonly precision: number;
  readonly stepSeconds: number;
  readonly warmupSeconds: number;
  /** Capacity-search steps one measurement is planned for (the budget's unit). */
  readonly plannedSteps: number;
}

export interface Measurement {
  /** Requests per second per node at which the SLO holds (0: none held). */
  readonly capacity: number;
  /** The SLO's percentile at the capacity, ms. */
  readonly percentileMs?: number;
  readonly steps: number;
  readonly seconds: number;
  /** Why the measurement is not a full one (e.g. servers failed to start). */
  readonly note?: string;
}

/** The rate search of a measurement starts this far under its hint (the best capacity seen so far), locally and in the cluster. */
export const START_SHARE = 0.75;

/** A measurement from a capacity search's verdict over `nodes` nodes: capacity per node, the SLO's percentile there, its steps. */
export function measurementOf(verdict: CapacityVerdict, nodes: number, seconds: number): Measurement {
  const at = verdict.atCapacity?.latencyMs as Record<string, number> | undefined;
  const percentileMs = at?.[`p${verdict.slo.percentile}`];
  return { capacity: verdict.capacityAtSlo / nodes, ...(percentileMs !== undefined ? { percentileMs } : {}), steps: verdict.curve.length, seconds };
}

export interface EvaluateOptions {
  /** Seconds this measurement may take, its start-up and shut-down included. */
  readonly budgetSeconds: number;
  /** A capacity near the answer (req/s per node: this point's last figure, or the best so far): where the rate search starts. */
  readonly hint?: number;
  readonly signal?: AbortSignal;
}

/** Measures one candidate's capacity per node; it never runs past options.budgetSeconds. */
export type Evaluator = (candidate: TuneCandidate, fidelity: Fidelity, options: EvaluateOptions) => Promise<Measurement>;

export interface TuneSearchOptions {
  readonly budgetSeconds: number;
  /** The stack's own precision: the final rung's. */
  readonly finalPrecision: number;
  /** Coarse grid points measured at most (the grid in its order); set, the search is the coarse rung and the final only. */
  readonly maxCandidates?: number;
  /** Seconds one measurement spends besides its steps (servers' start and stop, or a rollout), first guess. */
  readonly overheadSeconds: number;
  /** Seconds of one capacity-search step at the coarse rung (warm-up excluded). */
  readonly stepSeconds: number;
  /** A final winner must beat the shipped settings by more than this share to count (noise). */
  readonly minGain?: number;
  readonly signal?: AbortSignal;
  readonly now?: () => number;
  readonly say: (line: string) => void;
}

export interface TunedPoint {
  readonly candidate: TuneCandidate;
  readonly key: string;
  readonly description: string;
  readonly shipped: boolean;
  /** Every measurement of this point, in order. */
  readonly measurements: Array<Measurement & { readonly rung: Rung }>;
}

export interface TuneOutcome {
  /** Every point measured, best first (by the finest rung each reached, then capacity). */
  readonly ranked: TunedPoint[];
  readonly shipped?: TunedPoint;
  /** The final rung's challenger (the best point that is not the shipped settings). */
  readonly challenger?: TunedPoint;
  /** The challenger, when it beat the shipped settings by more than minGain in the final rung. */
  readonly winner?: TunedPoint;
  /** One sentence: what the final rung found. */
  readonly verdict: string;
  readonly seconds: number;
}

export const DEFAULT_MIN_GAIN = 0.05;
const RUNG_ORDER: Record<Rung, number> = { coarse: 0, refine: 1, final: 2 };
/** Share of the time before the final rung that the coarse grid may use; the rest refines. */
const COARSE_SHARE = 0.6;
/** Survivors of the coarse rung measured again at the refine rung (successive halving). */
const MAX_SURVIVORS = 3;

/** The rungs' step lengths and precisions for a budget: short steps for the wide search, longer ones for the verdict. */
export function fidelities(stepSeconds: number, finalPrecision: number): Record<Rung, Fidelity> {
  const warmupSeconds = stepSeconds >= 3 ? 1 : 0.5;
  return {
    coarse: { rung: "coarse", precision: Math.max(0.2, finalPrecision), stepSeconds, warmupSeconds, plannedSteps: 4 },
    refine: { rung: "refine", precision: Math.max(0.1, finalPrecision), stepSeconds, warmupSeconds, plannedSteps: 5 },
    final: { rung: "final", precision: finalPrecision, stepSeconds: stepSeconds + 1, warmupSeconds, plannedSteps: 5 },
  };
}

/** Seconds one measurement at this fidelity is planned to take (a step also leaves up to a second to drain). */
export function plannedSeconds(fidelity: Fidelity, overheadSeconds: number): number {
  return overheadSeconds + fidelity.plannedSteps * (fidelity.stepSeconds + fidelity.warmupSeconds + 0.5);
}

/** The least time a measurement may start with: its overhead and three steps. */
export function leastSeconds(fidelity: Fidelity, overheadSeconds: number): number {
  return overheadSeconds + 3 * (fidelity.stepSeconds + fidelity.warmupSeconds + 0.5);
}

/** The latest measurement at the finest rung a point reached. */
export function bestMeasurement(point: TunedPoint): Measurement & { rung: Rung } {
  const finest = Math.max(...point.measurements.map((m) => RUNG_ORDER[m.rung]));
  return point.measurements.filter((m) => RUNG_ORDER[m.rung] === finest).at(-1)!;
}

export function rankPoints(points: readonly TunedPoint[]): TunedPoint[] {
  return [...points].sort((a, b) => {
    const ma = bestMeasurement(a);
    const mb = bestMeasurement(b);
    return RUNG_ORDER[mb.rung] - RUNG_ORDER[ma.rung] || mb.capacity - ma.capacity;
  });
}

/** Picks the winner from the final rung's two measurements. */
export function judgeFinal(shipped: number, challenger: number, minGain = DEFAULT_MIN_GAIN): { wins: boolean; gain: number } {
  const gain = shipped > 0 ? challenger / shipped - 1 : challenger > 0 ? Infinity : 0;
  return { wins: gain > minGain, gain };
}

export async function runTuneSearch(config: FleetConfig, placement: Placement, evaluate: Evaluator, options: TuneSearchOptions): Promise<TuneOutcome> {
  const now = options.now ?? Date.now;
  const startedAt = now();
  const deadline = startedAt + options.budgetSeconds * 1000;
  const rungs = fidelities(options.stepSeconds, options.finalPrecision);
  const points = new Map<string, TunedPoint>();
  const shippedKey = candidateKey(config, shippedCandidate(config), placement);
  let overhead = options.overheadSeconds;
  const overheads: number[] = [];
  let best: number | undefined;
  // The final rung's two measurements are kept out of the earlier rungs' time, at what a measurement is seen to cost.
  const finalStart = () => deadline - 2 * plannedSeconds(rungs.final, overhead) * 1000;
  const capped = options.maxCandidates !== undefined;
  const coarseEnd = () => (capped ? finalStart() : startedAt + (finalStart() - startedAt) * COARSE_SHARE);

  const measure = async (candidate: TuneCandidate, fidelity: Fidelity, phaseEnd: number, label: string): Promise<Measurement | undefined> => {
    const left = (phaseEnd - now()) / 1000;
    // Starts only when three steps fit; it may then use up to 1.5x its plan, never past the phase.
    if (options.signal?.aborted || left < leastSeconds(fidelity, overhead)) return undefined;
    const planned = plannedSeconds(fidelity, overhead);
    const key = candidateKey(config, candidate, placement);
    const point = points.get(key) ?? {
      candidate,
      key,
      description: describeCandidate(config, candidate, placement),
      shipped: key === shippedKey,
      measurements: [],
    };
    points.set(key, point);
    options.say(`${label} ${point.description}${point.shipped ? " (shipped)" : ""} ...`);
    const began = now();
    // The search starts near this point's own last figure, or else the best figure so far.
    const hint = point.measurements.findLast((m) => m.capacity > 0)?.capacity ?? best;
    const result = await evaluate(candidate, fidelity, { budgetSeconds: Math.min(left, planned * 1.5), hint, signal: options.signal });
    if (options.signal?.aborted) return undefined;
    point.measurements.push({ ...result, rung: fidelity.rung });
    // Learn what a measurement costs besides its steps (the mean so far), so the plan for the next ones is honest.
    overheads.push((now() - began) / 1000 - result.steps * (fidelity.stepSeconds + fidelity.warmupSeconds));
    overhead = Math.max(0, overheads.reduce((sum, o) => sum + o, 0) / overheads.length);
    if (result.capacity > (best ?? 0)) best = result.capacity;
    options.say(
      `${label} ${result.capacity.toFixed(0)} req/s per node` +
        (result.percentileMs !== undefined ? `, p${config.loadTest.slo.percentile.slice(1)} ${result.percentileMs.toFixed(1)} ms` : "") +
        ` (${result.steps} steps, ${result.seconds.toFixed(0)} s)${result.note ? `: ${result.note}` : ""}`,
    );
    return result;
  };

  // Rung 1: the coarse grid, in its order (shipped first), while its share of the budget lasts.
  const grid = coarseGrid(config, placement).slice(0, options.maxCandidates ?? Infinity);
  const coarse: Scored[] = [];
  for (const [index, candidate] of grid.entries()) {
    const result = await measure(candidate, rungs.coarse, coarseEnd(), `coarse ${index + 1}/${grid.length}:`);
    if (!result) break;
    coarse.push({ candidate, capacity: result.capacity });
  }

  // Rung 2: successive halving (the best coarse points again, finer) and the points around the best.
  // --candidates N caps the points measured: then the coarse points are the whole search.
  const halved = survivors(coarse, MAX_SURVIVORS).filter((s) => candidateKey(config, s.candidate, placement) !== shippedKey);
  const refineList = capped ? [] : [...halved.map((s) => s.candidate), ...refineAround(config, placement, coarse, new Set(points.keys()))];
  const refined: Scored[] = [];
  for (const [index, candidate] of refineList.entries()) {
    const result = await measure(candidate, rungs.refine, finalStart(), `refine ${index + 1}/${refineList.length}:`);
    if (!result) break;
    refined.push({ candidate, capacity: result.capacity });
  }

  // Rung 3: the best challenger and the shipped settings, at the stack's precision, one after the other.
  const pool = refined.length > 0 ? refined : coarse.filter((s) => candidateKey(config, s.candidate, placement) !== shippedKey);
  const top = [...pool].sort((a, b) => b.capacity - a.capacity)[0];
  let verdict: string;
  let winner: TunedPoint | undefined;
  let challenger: TunedPoint | undefined;
  if (!top || top.capacity <= 0) {
    verdict = top
      ? "No candidate held the SLO at any rate tried: the shipped settings stay."
      : "The budget ran out before a candidate besides the shipped settings was measured.";
  } else if ((deadline - now()) / 1000 < 2 * leastSeconds(rungs.final, overhead)) {
    verdict = "The budget ran out before the final measurements: nothing is claimed; give a longer --budget.";
  } else {
    const finalists = [top.candidate, shippedCandidate(config)];
    const finals: Array<Measurement | undefined> = [];
    for (const [index, candidate] of finalists.entries()) {
      // Each finalist gets an even share of what is left: the budget is a promise.
      const share = (deadline - now()) / (finalists.length - index);
      finals.push(await measure(candidate, rungs.final, now() + share, `final ${index + 1}/${finalists.length}:`));
    }
    challenger = points.get(candidateKey(config, top.candidate, placement));
    const [ours, theirs] = finals;
    if (!ours || !theirs) {
      verdict = "The budget ran out before the final measurements: nothing is claimed; give a longer --budget.";
    } else {
      const { wins, gain } = judgeFinal(theirs.capacity, ours.capacity, options.minGain);
      const figures = `${ours.capacity.toFixed(0)} vs ${theirs.capacity.toFixed(0)} req/s per node (${gain >= 0 ? "+" : ""}${(gain * 100).toFixed(0)}%)`;
      if (wins) {
        winner = challenger;
        verdict = `The best candidate beats the shipped settings measured again in this run: ${figures}.`;
      } else {
        const margin = ((options.minGain ?? DEFAULT_MIN_GAIN) * 100).toFixed(0);
        const why = gain > 0 ? `a gain within the ${margin}% noise margin` : "no gain";
        verdict = `The shipped settings were best: the best candidate measured again gives ${figures}, ${why}.`;
      }
    }
  }
  const ranked = rankPoints([...points.values()]);
  return { ranked, shipped: points.get(shippedKey), challenger, winner, verdict, seconds: (now() - startedAt) / 1000 };
}
