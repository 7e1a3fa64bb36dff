/**
 * An error meant for the user: a clear message naming the file or field at fault. The CLI prints
 * its message without a stack trace and exits non-zero; the RPC server sends it as a typed error.
 */
export class IntrospectError extends Error {
  constructor(
    message: string,
    /** The file, field or argument at fault, when there is one. */
    readonly subject?: string,
  ) {
    super(subject ? `${subject}: ${message}` : message);
    this.name = 'IntrospectError';
  }
}

/** Nearest candidate by edit distance, for "did you mean" hints. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}
