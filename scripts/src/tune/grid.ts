// `fleet tune`'s search space: the levels of each setting, the coarse grid (one setting changed at a
// time from the shipped settings, taken round-robin so a short budget still probes every setting),
// and the refinement around the best point (its neighbours, and the best level of each setting
// combined). Pure: the measurements come in as numbers.
import { cpuMillis, formatCpu, type FleetConfig } from "@inference-fleet/fleet-config";
import { candidateKey, effectiveConcurrency, shippedCandidate, type Placement, type TuneCandidate } from "./candidate.js";

/** One tuned setting: how to read it from a candidate and its levels, in order (neighbours are adjacent). */
interface Dimension {
  readonly name: "layout" | "maxBatch" | "maxQueueDelayMs" | "copies";
  /** Every level, ordered; the coarse grid takes `coarse` of them. */
  readonly levels: readonly Partial<TuneCandidate>[];
  readonly coarse: readonly Partial<TuneCandidate>[];
  /** The level's identity within the dimension. */
  readonly id: (candidate: TuneCandidate) => string;
}

const MAX_BATCH_LEVELS = [1, 2, 4, 8, 16, 32];
const COARSE_MAX_BATCH = [8, 1, 16];
const DELAY_LEVELS = [0, 1, 2, 5, 10];
const COARSE_DELAY = [2, 5];
const COPY_LEVELS = [1, 2, 4, 8];

/** CPUs of one node that the servers share: this machine's cores, or the shipped pods' CPU on a cluster node. */
function nodeCpus(config: FleetConfig, placement: Placement): number {
  if (placement.kind === "local") return placement.cpus;
  const shipped = shippedCandidate(config);
  return (shipped.serversPerNode * cpuMillis(shipped.cpu)) / 1000;
}

/**
 * Server layouts of one node: servers per node (powers of two up to the node's CPUs), each with the
 * node's CPUs split evenly, run as one worker beside the main thread, one worker with every CPU, or
 * ONNX Runtime on the main thread. The layouts nearest the shipped server count come first.
 */
export function layouts(config: FleetConfig, placement: Placement): Partial<TuneCandidate>[] {
  const cpus = nodeCpus(config, placement);
  const shippedServers = shippedCandidate(config).serversPerNode;
  const counts = new Set<number>([shippedServers]);
  for (let servers = 1; servers <= cpus; servers *= 2) counts.add(servers);
  if (Number.isInteger(cpus)) counts.add(cpus);
  const ordered = [...counts].sort((a, b) => Math.abs(Math.log2(a / shippedServers)) - Math.abs(Math.log2(b / shippedServers)) || a - b);
  return ordered.flatMap((serversPerNode) => {
    const share = cpus / serversPerNode;
    if (share < 1) return [];
    const whole = Math.floor(share);
    const cpu = formatCpu(Math.floor((share * 1000) / 10) * 10);
    const shapes: Array<[number, number]> =
      whole <= 1
        ? [
            [0, 1],
            [1, 1],
          ]
        : [
            [1, whole - 1],
            [1, whole],
            [0, whole],
          ];
    return shapes.map(([inferenceWorkers, threads]) => ({ serversPerNode, inferenceWorkers, threads, cpu }));
  });
}

function dimensions(config: FleetConfig, placement: Placement): Dimension[] {
  const shipped = shippedCandidate(config);
  const layoutLevels = layouts(config, placement);
  // Workers and threads as the servers resolve them: "derived" and what it derives to are one level.
  const layoutId = (c: TuneCandidate) => {
    const { inferenceWorkers, threads } = effectiveConcurrency(config, c, placement);
    return `${c.serversPerNode}/${inferenceWorkers}/${threads}/${c.cpu}`;
  };
  const dims: Dimension[] = [
    { name: "layout", levels: layoutLevels, coarse: layoutLevels, id: layoutId },
    {
      name: "maxBatch",
      levels: MAX_BATCH_LEVELS.map((maxBatch) => ({ maxBatch })),
      coarse: COARSE_MAX_BATCH.map((maxBatch) => ({ maxBatch })),
      id: (c) => String(c.maxBatch),
    },
    {
      name: "maxQueueDelayMs",
      levels: DELAY_LEVELS.map((maxQueueDelayMs) => ({ maxQueueDelayMs })),
      coarse: COARSE_DELAY.map((maxQueueDelayMs) => ({ maxQueueDelayMs })),
      id: (c) => String(c.maxQueueDelayMs),
    },
  ];
  // Repository mode serves many unique models: copies of one model do not apply.
  if (!config.model.repository) {
    const copies = [...new Set([1, shipped.numModels * 2])].map((numModels) => ({ numModels }));
    dims.push({ name: "copies", levels: COPY_LEVELS.map((numModels) => ({ numModels })), coarse: copies, id: (c) => String(c.numModels) });
  }
  return dims;
}

/** Drops candidates that run the same servers as one listed earlier. */
function unique(config: FleetConfig, placement: Placement, candidates: readonly TuneCandidate[], seen = new Set<string>()): TuneCandidate[] {
  return candidates.filter((candidate) => {
    const key = candidateKey(config, candidate, placement);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * The coarse grid: the shipped settings first, then each setting's coarse levels with everything else
 * as shipped, one setting after another in turn (layout, maxBatch, delay, copies, layout, ...).
 */
export function coarseGrid(config: FleetConfig, placement: Placement): TuneCandidate[] {
  const shipped = shippedCandidate(config);
  const columns = dimensions(config, placement).map((dim) =>
    unique(
      config,
      placement,
      dim.coarse.map((level) => ({ ...shipped, ...level })),
      new Set([candidateKey(config, shipped, placement)]),
    ),
  );
  const grid: TuneCandidate[] = [shipped];
  for (let row = 0; columns.some((column) => row < column.length); row++) {
    for (const column of columns) if (row < column.length) grid.push(column[row]!);
  }
  return unique(config, placement, grid);
}

export interface Scored {
  readonly candidate: TuneCandidate;
  readonly capacity: number;
}

/**
 * Around the best measured point: first the best level of each setting combined (the levels that
 * beat the shipped settings when changed alone), then each setting one level either side of the
 * best point's. Candidates already measured (by key) are left out.
 */
export function refineAround(config: FleetConfig, placement: Placement, scored: readonly Scored[], measured: ReadonlySet<string>): TuneCandidate[] {
  if (scored.length === 0) return [];
  const shipped = shippedCandidate(config);
  const shippedScore = scored.find((s) => candidateKey(config, s.candidate, placement) === candidateKey(config, shipped, placement))?.capacity ?? 0;
  const best = [...scored].sort((a, b) => b.capacity - a.capacity)[0]!.candidate;
  const dims = dimensions(config, placement);
  const out: TuneCandidate[] = [];

  let combined: TuneCandidate = best;
  for (const dim of dims) {
    if (dim.id(best) !== dim.id(shipped)) continue;
    // The best single change in this setting, if any beat the shipped settings.
    const winner = scored
      .filter((s) => s.capacity > shippedScore && dim.levels.some((level) => dim.id({ ...shipped, ...level }) === dim.id(s.candidate)))
      .filter((s) => dims.every((other) => other === dim || other.id(s.candidate) === other.id(shipped)) && dim.id(s.candidate) !== dim.id(shipped))
      .sort((a, b) => b.capacity - a.capacity)[0];
    if (winner) combined = { ...combined, ...pick(dim, winner.candidate) };
  }
  out.push(combined);

  for (const dim of dims) {
    const at = dim.levels.findIndex((level) => dim.id({ ...best, ...level }) === dim.id(best));
    for (const index of [at - 1, at + 1]) {
      const level = dim.levels[index];
      if (at >= 0 && level) out.push({ ...best, ...level });
    }
  }
  return unique(config, placement, out, new Set(measured));
}

/** The fields of `candidate` that `dim` owns. */
function pick(dim: Dimension, candidate: TuneCandidate): Partial<TuneCandidate> {
  switch (dim.name) {
    case "layout":
      return { serversPerNode: candidate.serversPerNode, inferenceWorkers: candidate.inferenceWorkers, threads: candidate.threads, cpu: candidate.cpu };
    case "maxBatch":
      return { maxBatch: candidate.maxBatch };
    case "maxQueueDelayMs":
      return { maxQueueDelayMs: candidate.maxQueueDelayMs };
    case "copies":
      return { numModels: candidate.numModels };
  }
}

/** Successive halving: the best half (at most `max`) of the scored candidates, best first. */
export function survivors(scored: readonly Scored[], max: number): Scored[] {
  const keep = Math.min(max, Math.ceil(scored.length / 2));
  return [...scored].sort((a, b) => b.capacity - a.capacity).slice(0, keep);
}
