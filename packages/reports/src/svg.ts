// Small chart builders: the HTML report draws its charts as inline SVG (and its bars as HTML) so it
// needs no scripts, no CDN and no network to display. Titles, legends and bar labels are HTML, not
// SVG text, so they wrap at any width instead of being cut off at the edge of a viewBox.

/** Colours that tell runs apart and mean nothing else: no red (the SLO, a breach) and no green (the capacity, the winner). */
export const PALETTE = ["#2563eb", "#0891b2", "#7c3aed", "#d97706", "#db2777", "#475569", "#a16207", "#4f46e5"];
/** Colour by meaning: the best run's bar, and the others'. */
export const WINNER_COLOR = "#059669";
export const OTHER_COLOR = "#94a3b8";

/** How each latency percentile is drawn, everywhere on the page: told apart by dash pattern and colour, not colour alone. */
export const PERCENTILE_STYLE = {
  p50: { color: "#94a3b8", dash: "2 3" },
  p90: { color: "#2563eb", dash: undefined },
  p99: { color: "#7c3aed", dash: "8 4" },
} as const;

const SLO_STYLE = { color: "#dc2626", dash: "6 3" } as const;
const CAPACITY_STYLE = { color: "#047857", dash: "2 2" } as const;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** A round upper bound for an axis that splits into 4 or 5 round ticks. */
function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = Math.pow(10, Math.floor(Math.log10(value)));
  return ([1, 1.2, 1.6, 2, 2.5, 3, 4, 5, 6, 8, 10].find((m) => m * power >= value * 0.999) ?? 10) * power;
}

function tickLabel(value: number): string {
  if (value >= 1000) return `${Number((value / 1000).toPrecision(3))}k`;
  return String(Number(value.toPrecision(3)));
}

export interface LineSeries {
  name: string;
  color: string;
  points: Array<[number, number]>;
  /** SVG stroke-dasharray; none draws a solid line. */
  dash?: string | undefined;
  /** Draw a marker at each point; `hollow[i]` draws point i as an open circle (e.g. a step that broke the SLO). */
  markers?: { hollow: boolean[] };
  width?: number;
}

/** A reference line across the chart: the SLO (horizontal, y) or the capacity (vertical, x). */
export interface Guide {
  axis: "x" | "y";
  value: number;
  label: string;
  kind: "slo" | "capacity";
}

/** A legend entry whose swatch is drawn like the line it names (same colour, width and dash pattern). */
function swatch(name: string, color: string, dash: string | undefined, width = 2, className = ""): string {
  const dasharray = dash ? ` stroke-dasharray="${dash}"` : "";
  return (
    `<span class="legend-item${className ? ` ${className}` : ""}"><svg class="swatch" width="30" height="10" aria-hidden="true">` +
    `<line x1="1" y1="5" x2="29" y2="5" stroke="${color}" stroke-width="${width}"${dasharray}/></svg>${escapeHtml(name)}</span>`
  );
}

interface Scale {
  at: (v: number) => number;
  ticks: number[];
}

function linearScale(max: number, from: number, to: number, ticks: number): Scale {
  const top = niceMax(max);
  return { at: (v) => from + (v / top) * (to - from), ticks: Array.from({ length: ticks + 1 }, (_, i) => (top * i) / ticks) };
}

/** Log scale over whole decades: latencies from 2 ms to 5 s, and an SLO at 100 ms, all stay readable on one chart. */
function logScale(values: number[], from: number, to: number): Scale {
  // Nothing positive to show (no latencies, or all 0 ms): one decade, 1 to 10 ms.
  const lo = values.length > 0 ? Math.floor(Math.log10(Math.max(Math.min(...values), 0.01))) : 0;
  const hi = Math.max(lo + 1, values.length > 0 ? Math.ceil(Math.log10(Math.max(...values))) : 1);
  const ticks: number[] = [];
  for (let d = lo; d <= hi; d++) for (const m of hi - lo <= 2 ? [1, 2, 5] : [1]) if (d < hi || m === 1) ticks.push(m * Math.pow(10, d));
  const at = (v: number) => from + ((Math.log10(Math.max(v, Math.pow(10, lo))) - lo) / (hi - lo)) * (to - from);
  return { at, ticks };
}

export interface LineChartOptions {
  /** Named in the SVG's aria-label (the visible title is the figure's caption). */
  title: string;
  yUnit: string;
  xUnit: string;
  lines: LineSeries[];
  guides?: Guide[];
  /** Log scale on y: for latencies, which span decades. */
  logY?: boolean;
  width?: number;
  height?: number;
  /** The x axis reaches at least this far (room around a lone point, or the widest of charts shown side by side). */
  xMax?: number;
  /** Values the y axis must reach too, so charts side by side share one scale. */
  yExtent?: readonly number[];
  /** Shown in the middle of an empty chart. */
  empty?: string;
}

/** Lines over x, with guides, and an HTML legend under the SVG. */
export function lineChart(options: LineChartOptions): string {
  const width = options.width ?? 560;
  const height = options.height ?? 250;
  const m = { top: 26, right: 16, bottom: 34, left: 52 };
  const guides = options.guides ?? [];
  const all = options.lines.flatMap((l) => l.points);
  const xs = [...all.map(([x]) => x), ...guides.filter((g) => g.axis === "x").map((g) => g.value)];
  const ys = [...all.map(([, y]) => y), ...guides.filter((g) => g.axis === "y").map((g) => g.value * 1.15), ...(options.yExtent ?? [])];
  const x = linearScale(Math.max(1, options.xMax ?? 0, ...xs), m.left, width - m.right, 5);
  const bottom = height - m.bottom;
  const y = options.logY
    ? logScale(
        ys.filter((v) => v > 0 && Number.isFinite(v)),
        bottom,
        m.top,
      )
    : linearScale(Math.max(0, ...ys), bottom, m.top, 4);
  const parts: string[] = [];
  for (const v of y.ticks) {
    parts.push(
      `<line x1="${m.left}" x2="${width - m.right}" y1="${y.at(v).toFixed(1)}" y2="${y.at(v).toFixed(1)}" class="grid"/>` +
        `<text x="${m.left - 6}" y="${(y.at(v) + 4).toFixed(1)}" class="tick" text-anchor="end">${tickLabel(v)}</text>`,
    );
  }
  for (const v of x.ticks) parts.push(`<text x="${x.at(v).toFixed(1)}" y="${bottom + 16}" class="tick" text-anchor="middle">${tickLabel(v)}</text>`);
  parts.push(`<text x="${width - m.right}" y="${height - 3}" class="axis" text-anchor="end">${escapeHtml(options.xUnit)}</text>`);
  parts.push(`<text x="4" y="${m.top - 6}" class="axis">${escapeHtml(options.yUnit)}</text>`);
  for (const line of options.lines) {
    const path = line.points.map(([px, py]) => `${x.at(px).toFixed(1)},${y.at(py).toFixed(1)}`).join(" ");
    const dash = line.dash ? ` stroke-dasharray="${line.dash}"` : "";
    parts.push(
      `<polyline points="${path}" fill="none" stroke="${line.color}" stroke-width="${line.width ?? 2}"${dash} stroke-linejoin="round" ` +
        `data-series="${escapeHtml(line.name)}"/>`,
    );
    if (line.markers) {
      line.points.forEach(([px, py], i) => {
        const fill = line.markers!.hollow[i] ? "#ffffff" : line.color;
        parts.push(`<circle cx="${x.at(px).toFixed(1)}" cy="${y.at(py).toFixed(1)}" r="3" fill="${fill}" stroke="${line.color}" stroke-width="1.5"/>`);
      });
    }
  }
  for (const guide of guides) parts.push(drawGuide(guide, guide.axis === "x" ? x.at(guide.value) : y.at(guide.value), { width, m, bottom }));
  if (all.length === 0)
    parts.push(`<text x="${width / 2}" y="${height / 2}" class="axis" text-anchor="middle">${escapeHtml(options.empty ?? "no data")}</text>`);
  const legend = [
    ...options.lines.map((line) => swatch(line.name, line.color, line.dash, line.width)),
    ...guides.map((g) =>
      g.kind === "slo" ? swatch(g.label, SLO_STYLE.color, SLO_STYLE.dash, 2, "slo") : swatch(g.label, CAPACITY_STYLE.color, CAPACITY_STYLE.dash, 2, "capacity"),
    ),
  ];
  return (
    `<svg viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${escapeHtml(options.title)}">${parts.join("")}</svg>` +
    `<div class="legend">${legend.join("")}</div>`
  );
}

function drawGuide(guide: Guide, at: number, frame: { width: number; m: { top: number; right: number; left: number }; bottom: number }): string {
  const { width, m, bottom } = frame;
  const label = escapeHtml(guide.label);
  if (guide.kind === "slo") {
    return (
      `<line x1="${m.left}" x2="${width - m.right}" y1="${at.toFixed(1)}" y2="${at.toFixed(1)}" class="slo-line" stroke="${SLO_STYLE.color}" ` +
      `stroke-width="2" stroke-dasharray="${SLO_STYLE.dash}"/>` +
      // At the left, where the load (and so the latency) is lowest: the curves rarely cross there.
      `<text x="${m.left + 4}" y="${(at - 5).toFixed(1)}" class="guide-label slo-label">${label}</text>`
    );
  }
  // The capacity's label sits on the side of its line with room for it, so it never runs off the chart.
  const right = at > m.left + (width - m.left - m.right) * 0.6;
  return (
    `<line x1="${at.toFixed(1)}" x2="${at.toFixed(1)}" y1="${m.top}" y2="${bottom}" class="capacity-marker" stroke="${CAPACITY_STYLE.color}" ` +
    `stroke-width="2" stroke-dasharray="${CAPACITY_STYLE.dash}"/>` +
    `<text x="${(at + (right ? -5 : 5)).toFixed(1)}" y="${m.top + 12}" class="guide-label capacity-label" ` +
    `text-anchor="${right ? "end" : "start"}">${label}</text>`
  );
}

export interface Bar {
  label: string;
  value: number;
  text: string;
  color: string;
}

/** Horizontal bars as HTML: each label on its own line above its bar, wrapped, never cut; the value at the end of the bar. */
export function barChart(bars: readonly Bar[]): string {
  const max = Math.max(0, ...bars.map((b) => (Number.isFinite(b.value) ? b.value : 0))) || 1;
  const rows = bars.map((bar) => {
    const share = Number.isFinite(bar.value) ? Math.max(0, bar.value) / max : 0;
    return (
      `<div class="bar-row"><div class="bar-label">${escapeHtml(bar.label)}</div><div class="bar-track">` +
      `<span class="bar" style="width:calc((100% - 9em) * ${share.toFixed(4)});background:${bar.color}"></span>` +
      `<span class="bar-value">${escapeHtml(bar.text)}</span></div></div>`
    );
  });
  return `<div class="bars">${rows.join("")}</div>`;
}

/** A chart with its title as a caption above it (HTML, so a long title wraps). */
export function chartFigure(title: string, body: string, className = ""): string {
  return `<figure class="chart${className ? ` ${className}` : ""}"><figcaption class="chart-title">${escapeHtml(title)}</figcaption>${body}</figure>`;
}
