// `fleet tune`'s ranked table: every point measured, the finest rung first (those figures decided),
// then by capacity; each row says at which rung its figure was measured.
import { bestMeasurement, type TuneOutcome } from "./search.js";

export function renderRankedTable(outcome: TuneOutcome, percentile: string): string {
  const header = ["#", "req/s per node", `${percentile} ms`, "measured", "settings"];
  const rows = outcome.ranked.map((point, index) => {
    const m = bestMeasurement(point);
    const marks = [point.shipped ? "shipped" : "", point === outcome.winner ? "winner" : ""].filter(Boolean);
    return [
      String(index + 1),
      m.capacity.toLocaleString("en-US", { maximumFractionDigits: 0 }),
      m.percentileMs !== undefined ? m.percentileMs.toFixed(1) : "-",
      `${m.rung} (${point.measurements.length}x)`,
      `${point.description}${marks.length > 0 ? `  <- ${marks.join(", ")}` : ""}${m.note ? ` [${m.note}]` : ""}`,
    ];
  });
  const widths = header.map((h, column) => Math.max(h.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        column === cells.length - 1 ? cell : column === 0 || column === 3 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!),
      )
      .join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
