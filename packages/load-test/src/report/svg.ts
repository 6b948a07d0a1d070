// Small SVG chart builders: the HTML report draws its charts as inline SVG so it needs no
// scripts, no CDN and no network to display.

export const PALETTE = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2", "#65a30d"];

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** A round upper bound for an axis that splits into 4 or 5 round ticks. */
export function niceMax(value: number): number {
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
  dashed?: boolean;
}

export function lineChart(options: { title: string; yUnit: string; xUnit: string; lines: LineSeries[]; width?: number; height?: number }): string {
  const width = options.width ?? 560;
  const height = options.height ?? 260;
  const m = { top: 56, right: 16, bottom: 36, left: 56 };
  const all = options.lines.flatMap((l) => l.points);
  const xMax = niceMax(Math.max(1, ...all.map(([x]) => x)));
  const yMax = niceMax(Math.max(0, ...all.map(([, y]) => y)));
  const x = (v: number) => m.left + (v / xMax) * (width - m.left - m.right);
  const y = (v: number) => height - m.bottom - (v / yMax) * (height - m.top - m.bottom);
  const parts: string[] = [`<text x="0" y="18" class="chart-title">${escapeHtml(options.title)}</text>`];
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    parts.push(
      `<line x1="${m.left}" x2="${width - m.right}" y1="${y(v)}" y2="${y(v)}" class="grid"/><text x="${m.left - 6}" y="${y(v) + 4}" class="tick" ` +
        `text-anchor="end">${tickLabel(v)}</text>`,
    );
  }
  for (let i = 0; i <= 5; i++) {
    const v = (xMax * i) / 5;
    parts.push(`<text x="${x(v)}" y="${height - m.bottom + 16}" class="tick" text-anchor="middle">${tickLabel(v)}</text>`);
  }
  parts.push(`<text x="${width - m.right}" y="${height - 4}" class="axis" text-anchor="end">${escapeHtml(options.xUnit)}</text>`);
  parts.push(`<text x="${m.left - 6}" y="${m.top - 12}" class="axis" text-anchor="end">${escapeHtml(options.yUnit)}</text>`);
  let legendX = m.left;
  for (const line of options.lines) {
    const path = line.points.map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(" ");
    parts.push(
      `<polyline points="${path}" fill="none" stroke="${line.color}" stroke-width="2"${line.dashed ? ' stroke-dasharray="5 3"' : ""} stroke-linejoin="round"/>`,
    );
    parts.push(
      `<rect x="${legendX}" y="33" width="12" height="3" fill="${line.color}"/><text x="${legendX + 16}" y="38" class="legend">${escapeHtml(line.name)}</text>`,
    );
    legendX += 24 + line.name.length * 6.5;
  }
  if (all.length === 0)
    parts.push(`<text x="${width / 2}" y="${height / 2}" class="axis" text-anchor="middle">no per-second data (k6 summaries carry totals only)</text>`);
  return `<svg viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${escapeHtml(options.title)}">${parts.join("")}</svg>`;
}

export interface Bar {
  label: string;
  value: number;
  text: string;
  color: string;
}

/** Horizontal bars, one per run, with the value written at the end of each bar. */
export function barChart(options: { title: string; bars: Bar[]; width?: number }): string {
  const width = options.width ?? 560;
  const rowHeight = 30;
  const m = { top: 32, left: 150, right: 90 };
  const height = m.top + options.bars.length * rowHeight + 8;
  const max = Math.max(0, ...options.bars.map((b) => (Number.isFinite(b.value) ? b.value : 0))) || 1;
  const parts = [`<text x="0" y="18" class="chart-title">${escapeHtml(options.title)}</text>`];
  options.bars.forEach((bar, i) => {
    const top = m.top + i * rowHeight;
    const barWidth = Number.isFinite(bar.value) ? (bar.value / max) * (width - m.left - m.right) : 0;
    parts.push(
      `<text x="${m.left - 8}" y="${top + 17}" class="bar-label" text-anchor="end">${escapeHtml(bar.label)}</text>`,
      `<rect x="${m.left}" y="${top + 4}" width="${Math.max(1, barWidth).toFixed(1)}" height="${rowHeight - 10}" rx="3" fill="${bar.color}"/>`,
      `<text x="${m.left + barWidth + 6}" y="${top + 17}" class="bar-value">${escapeHtml(bar.text)}</text>`,
    );
  });
  return `<svg viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${escapeHtml(options.title)}">${parts.join("")}</svg>`;
}
