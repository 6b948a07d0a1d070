/** Edit distance (insertions, deletions, substitutions) between two strings. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The known names nearest to a misspelled one (case-insensitive), best first: at most `limit`, and only
 * those within a third of the name's length, so an unrelated word suggests nothing.
 */
function closestNames(name: string, known: Iterable<string>, limit = 3): string[] {
  const target = name.toLowerCase();
  const within = Math.max(2, Math.ceil(target.length / 3));
  return [...known]
    .map((candidate) => ({ candidate, d: distance(target, candidate.toLowerCase()) }))
    .filter(({ d }) => d <= within)
    .sort((x, y) => x.d - y.d || x.candidate.localeCompare(y.candidate))
    .slice(0, limit)
    .map(({ candidate }) => candidate);
}

/** ' Did you mean "a" or "b"?' for a message, or "" when nothing is near. */
export function didYouMean(name: string, known: Iterable<string>): string {
  const near = closestNames(name, known);
  if (near.length === 0) return "";
  const quoted = near.map((n) => `"${n}"`);
  return ` Did you mean ${quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(", ")} or ${quoted.at(-1)}`}?`;
}
