/** One problem in a rule set, where a person can find it. */
export interface RuleSetProblem {
  /** Path of the file as given to the loader. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  message: string;
}

/** `file:line:column: message`, the shape editors and CI logs link to. */
export function formatProblem(problem: RuleSetProblem): string {
  return `${problem.file}:${problem.line}:${problem.column}: ${problem.message}`;
}

/** A rule set that cannot be loaded, with every problem found (never just the first). */
export class RuleSetError extends Error {
  constructor(readonly problems: readonly RuleSetProblem[]) {
    super(
      `The rule set has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map(formatProblem).join('\n')}`,
    );
    this.name = 'RuleSetError';
  }
}

/** Longer words are not typos of a name: no guess is made for them. */
const MAX_GUESSED_LENGTH = 256;

/** The closest of `candidates` to `word`, when it is close enough to be a likely typo. */
export function didYouMean(word: string, candidates: Iterable<string>): string | null {
  // The edit distance is at least the difference in length: candidates that cannot be close
  // enough are not compared, and a long text is never compared at all (the cost is quadratic).
  if (word.length > MAX_GUESSED_LENGTH) return null;
  const close = Math.max(2, Math.floor(word.length / 3));
  const lower = word.toLowerCase();
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (Math.abs(candidate.length - word.length) > close) continue;
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== null && bestDistance <= close ? best : null;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}
