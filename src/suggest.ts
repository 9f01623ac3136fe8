/**
 * "Did you mean ...?": the nearest of a set of names to a misspelt one.
 *
 * @module
 */

/**
 * The optimal-string-alignment distance between `a` and `b`: insertions,
 * deletions, substitutions and swaps of two neighbours each count 1
 * (`adress` is 1 from `address`, `conifg` 1 from `config`).
 *
 * @example
 * ```ts
 * import { editDistance } from "./suggest.ts";
 * console.log(editDistance("conifg", "config")); // 1
 * ```
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => {
    const row = new Array<number>(cols).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j < cols; j++) d[0][j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(
        d[i - 1][j] + 1,
        d[i][j - 1] + 1,
        d[i - 1][j - 1] + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[rows - 1][cols - 1];
}

/**
 * The name in `candidates` nearest to `name`, if it is close enough to be
 * a slip of the keyboard: at most `maxDistance` (default 2) edits away, and
 * fewer edits than half the candidate's length (so `cb` is never "near"
 * every two-letter word). Ties go to the first candidate.
 *
 * @example
 * ```ts
 * import { closest } from "./suggest.ts";
 * console.log(closest("adress", ["address", "port"])); // "address"
 * console.log(closest("zzz", ["address", "port"])); // undefined
 * ```
 */
export function closest(
  name: string,
  candidates: Iterable<string>,
  maxDistance = 2,
): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const limit = Math.min(maxDistance, Math.floor((candidate.length - 1) / 2));
    const distance = editDistance(name, candidate);
    if (distance <= limit && distance < bestDistance && distance > 0) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
