// The one place prices turn into the figures reports compare: USD per million inferences and USD per month.

/** Hours in the month that monthly prices count (365 x 24 / 12, as AWS's calculator uses). */
export const HOURS_PER_MONTH = 730;

/** USD per month for instances costing `usdPerHour` in all. */
export function usdPerMonth(usdPerHour: number): number {
  return usdPerHour * HOURS_PER_MONTH;
}

/** USD per million inferences for instances costing `usdPerHour` in all, serving `rate` successful requests/s; undefined when nothing was served. */
export function usdPerMillionAt(usdPerHour: number, rate: number): number | undefined {
  return rate > 0 ? (usdPerHour * 1e6) / (rate * 3600) : undefined;
}
