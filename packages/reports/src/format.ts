/** Numbers as people read them in a report: a few significant digits, thousands separated. */
export function formatNumber(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return "-";
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString("en-US");
  return Number(value.toPrecision(digits)).toString();
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${formatNumber(ms / 1000)} s` : `${formatNumber(ms)} ms`;
}

export function formatUsd(usd: number | undefined): string {
  return usd === undefined || !Number.isFinite(usd) ? "-" : `$${usd >= 100 ? formatNumber(usd) : usd.toFixed(usd >= 1 ? 2 : 4)}`;
}

export function formatErrors(errors: Record<string, number>): string {
  const entries = Object.entries(errors).sort((a, b) => b[1] - a[1]);
  return entries.length ? entries.map(([kind, n]) => `${kind}: ${n}`).join(", ") : "none";
}
