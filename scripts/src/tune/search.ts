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

interface EvaluateOptions {
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
  /** Each measurement's grant on the search's own clock: it started `atSeconds` in and may take `seconds`; all end within the budget. */
  readonly grants: readonly MeasurementGrant[];
}

interface MeasurementGrant {
  readonly label: string;
  readonly atSeconds: number;
  readonly seconds: number;
}

const DEFAULT_MIN_GAIN = 0.05;
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
function leastSeconds(fidelity: Fidelity, overheadSeconds: number): number {
  return overheadSeconds + 3 * (fidelity.stepSeconds + fidelity.warmupSeconds + 0.5);
}

/** The latest measurement at the finest rung a point reached. */
export function bestMeasurement(point: TunedPoint): Measurement & { rung: Rung } {
  const finest = Math.max(...point.measurements.map((m) => RUNG_ORDER[m.rung]));
  return point.measurements.filter((m) => RUNG_ORDER[m.rung] === finest).at(-1)!;
}

function rankPoints(points: readonly TunedPoint[]): TunedPoint[] {
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

/** The final rung's outcome: the verdict and, when measured, the challenger and the winner. */
interface FinalVerdict {
  readonly verdict: string;
  readonly challenger?: TunedPoint;
  readonly winner?: TunedPoint;
}

const OUT_OF_BUDGET = "The budget ran out before the final measurements: nothing is claimed; give a longer --budget.";

/** One search's state: the points measured, what a measurement is seen to cost, and the clock it keeps its budget by. */
class TuneSearch {
  readonly points = new Map<string, TunedPoint>();
  readonly grants: MeasurementGrant[] = [];
  readonly rungs: Record<Rung, Fidelity>;
  readonly shippedKey: string;
  readonly now: () => number;
  readonly startedAt: number;
  readonly deadline: number;
  readonly capped: boolean;
  private overhead: number;
  private readonly overheads: number[] = [];
  private best: number | undefined;

  constructor(
    readonly config: FleetConfig,
    readonly placement: Placement,
    private readonly evaluate: Evaluator,
    readonly options: TuneSearchOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.deadline = this.startedAt + options.budgetSeconds * 1000;
    this.rungs = fidelities(options.stepSeconds, options.finalPrecision);
    this.shippedKey = candidateKey(config, shippedCandidate(config), placement);
    this.overhead = options.overheadSeconds;
    this.capped = options.maxCandidates !== undefined;
  }

  keyOf(candidate: TuneCandidate): string {
    return candidateKey(this.config, candidate, this.placement);
  }

  /** The final rung's two measurements are kept out of the earlier rungs' time, at what a measurement is seen to cost. */
  finalStart(): number {
    return this.deadline - 2 * plannedSeconds(this.rungs.final, this.overhead) * 1000;
  }

  coarseEnd(): number {
    return this.capped ? this.finalStart() : this.startedAt + (this.finalStart() - this.startedAt) * COARSE_SHARE;
  }

  /** Whether the final rung's two measurements still fit. */
  finalFits(): boolean {
    return (this.deadline - this.now()) / 1000 >= 2 * leastSeconds(this.rungs.final, this.overhead);
  }

  private pointFor(candidate: TuneCandidate): TunedPoint {
    const key = this.keyOf(candidate);
    const point = this.points.get(key) ?? {
      candidate,
      key,
      description: describeCandidate(this.config, candidate, this.placement),
      shipped: key === this.shippedKey,
      measurements: [],
    };
    this.points.set(key, point);
    return point;
  }

  /** Learns what a measurement costs besides its steps (the mean so far), so the plan for the next ones is honest. */
  private learnOverhead(seconds: number, result: Measurement, fidelity: Fidelity): void {
    this.overheads.push(seconds - result.steps * (fidelity.stepSeconds + fidelity.warmupSeconds));
    this.overhead = Math.max(0, this.overheads.reduce((sum, o) => sum + o, 0) / this.overheads.length);
    if (result.capacity > (this.best ?? 0)) this.best = result.capacity;
  }

  async measure(candidate: TuneCandidate, fidelity: Fidelity, phaseEnd: number, label: string): Promise<Measurement | undefined> {
    const { options } = this;
    const left = (phaseEnd - this.now()) / 1000;
    // Starts only when three steps fit; it may then use up to 1.5x its plan, never past the phase.
    if (options.signal?.aborted || left < leastSeconds(fidelity, this.overhead)) return undefined;
    const planned = plannedSeconds(fidelity, this.overhead);
    const point = this.pointFor(candidate);
    options.say(`${label} ${point.description}${point.shipped ? " (shipped)" : ""} ...`);
    const began = this.now();
    // The search starts near this point's own last figure, or else the best figure so far.
    const hint = point.measurements.findLast((m) => m.capacity > 0)?.capacity ?? this.best;
    const budgetSeconds = Math.min(left, planned * 1.5);
    this.grants.push({ label, atSeconds: (began - this.startedAt) / 1000, seconds: budgetSeconds });
    const result = await this.evaluate(candidate, fidelity, { budgetSeconds, hint, signal: options.signal });
    if (options.signal?.aborted) return undefined;
    point.measurements.push({ ...result, rung: fidelity.rung });
    this.learnOverhead((this.now() - began) / 1000, result, fidelity);
    options.say(
      `${label} ${result.capacity.toFixed(0)} req/s per node` +
        (result.percentileMs !== undefined ? `, p${this.config.loadTest.slo.percentile.slice(1)} ${result.percentileMs.toFixed(1)} ms` : "") +
        ` (${result.steps} steps, ${result.seconds.toFixed(0)} s)${result.note ? `: ${result.note}` : ""}`,
    );
    return result;
  }

  /** Measures candidates in order at one rung until the phase's time runs out. */
  async measureAll(candidates: readonly TuneCandidate[], fidelity: Fidelity, phaseEnd: () => number, rung: string): Promise<Scored[]> {
    const scored: Scored[] = [];
    for (const [index, candidate] of candidates.entries()) {
      const result = await this.measure(candidate, fidelity, phaseEnd(), `${rung} ${index + 1}/${candidates.length}:`);
      if (!result) break;
      scored.push({ candidate, capacity: result.capacity });
    }
    return scored;
  }

  /** Rung 1: the coarse grid, in its order (shipped first), while its share of the budget lasts. */
  coarseRung(): Promise<Scored[]> {
    const grid = coarseGrid(this.config, this.placement).slice(0, this.options.maxCandidates ?? Infinity);
    return this.measureAll(grid, this.rungs.coarse, () => this.coarseEnd(), "coarse");
  }

  /**
   * Rung 2: successive halving (the best coarse points again, finer) and the points around the best.
   * --candidates N caps the points measured: then the coarse points are the whole search.
   */
  refineRung(coarse: readonly Scored[]): Promise<Scored[]> {
    const halved = survivors(coarse, MAX_SURVIVORS).filter((s) => this.keyOf(s.candidate) !== this.shippedKey);
    const around = () => refineAround(this.config, this.placement, coarse, new Set(this.points.keys()));
    const refineList = this.capped ? [] : [...halved.map((s) => s.candidate), ...around()];
    return this.measureAll(refineList, this.rungs.refine, () => this.finalStart(), "refine");
  }

  /** Rung 3: the best challenger and the shipped settings, at the stack's precision, one after the other. */
  async finalRung(coarse: readonly Scored[], refined: readonly Scored[]): Promise<FinalVerdict> {
    const pool = refined.length > 0 ? refined : coarse.filter((s) => this.keyOf(s.candidate) !== this.shippedKey);
    const top = [...pool].sort((a, b) => b.capacity - a.capacity)[0];
    if (!top || top.capacity <= 0) {
      return {
        verdict: top
          ? "No candidate held the SLO at any rate tried: the shipped settings stay."
          : "The budget ran out before a candidate besides the shipped settings was measured.",
      };
    }
    if (!this.finalFits()) return { verdict: OUT_OF_BUDGET };
    const finalists = [top.candidate, shippedCandidate(this.config)];
    const finals: Array<Measurement | undefined> = [];
    for (const [index, candidate] of finalists.entries()) {
      // Each finalist gets an even share of what is left: the budget is a promise.
      const share = (this.deadline - this.now()) / (finalists.length - index);
      finals.push(await this.measure(candidate, this.rungs.final, this.now() + share, `final ${index + 1}/${finalists.length}:`));
    }
    const challenger = this.points.get(this.keyOf(top.candidate));
    const [ours, theirs] = finals;
    if (!ours || !theirs) return { verdict: OUT_OF_BUDGET, ...(challenger ? { challenger } : {}) };
    return { ...this.judge(ours.capacity, theirs.capacity, challenger), ...(challenger ? { challenger } : {}) };
  }

  private judge(ours: number, theirs: number, challenger: TunedPoint | undefined): FinalVerdict {
    const { wins, gain } = judgeFinal(theirs, ours, this.options.minGain);
    const figures = `${ours.toFixed(0)} vs ${theirs.toFixed(0)} req/s per node (${gain >= 0 ? "+" : ""}${(gain * 100).toFixed(0)}%)`;
    if (wins)
      return {
        verdict: `The best candidate beats the shipped settings measured again in this run: ${figures}.`,
        ...(challenger ? { winner: challenger } : {}),
      };
    const margin = ((this.options.minGain ?? DEFAULT_MIN_GAIN) * 100).toFixed(0);
    const why = gain > 0 ? `a gain within the ${margin}% noise margin` : "no gain";
    return { verdict: `The shipped settings were best: the best candidate measured again gives ${figures}, ${why}.` };
  }
}

export async function runTuneSearch(config: FleetConfig, placement: Placement, evaluate: Evaluator, options: TuneSearchOptions): Promise<TuneOutcome> {
  const search = new TuneSearch(config, placement, evaluate, options);
  const coarse = await search.coarseRung();
  const refined = await search.refineRung(coarse);
  const { verdict, challenger, winner } = await search.finalRung(coarse, refined);
  const ranked = rankPoints([...search.points.values()]);
  const seconds = (search.now() - search.startedAt) / 1000;
  return { ranked, shipped: search.points.get(search.shippedKey), challenger, winner, verdict, seconds, grants: search.grants };
}
