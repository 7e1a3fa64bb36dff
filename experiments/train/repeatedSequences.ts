/**
 * Auxiliary training rows for the lookup circuit: a random sequence of tokens, then the same
 * sequence again, every repeated token supervised. This is the plainest match-and-copy (induction)
 * data; its half length varies per row so no fixed offset finds the copy and only content matching
 * does. Mixed into a batch it gives the circuit a dense signal from step one, where the binding
 * programs or recall rows alone give one sparse answer and a long plateau before the circuit forms
 * (docs/training.md has the measurements).
 */
import { Rng } from '../../engine/src/tasks/rng';
import type { Examples } from '../../engine/src/train/trainer';

/** `n` rows drawn from `tokens`, each half 4..`maxHalf` tokens long, from a generator seeded by (seed, stream). */
export function repeatedSequences(seed: number, stream: number, n: number, tokens: number[], maxHalf: number): Examples {
  const rng = new Rng(seed * 1_000_003 + stream);
  const rows = Array.from({ length: n }, () => {
    const half = Array.from({ length: rng.int(4, maxHalf) }, () => tokens[rng.int(0, tokens.length - 1)]);
    return [...half, ...half];
  });
  // The first repeated token cannot be predicted (nothing says where the copy starts); the rest can.
  return { rows, targets: rows.map((row) => Array.from({ length: row.length / 2 - 1 }, (_, i) => row.length / 2 + 1 + i)) };
}

/** A batch with `n` repeated-sequence rows appended (none: the batch as it is). */
export function withRepeats(batch: Examples, n: number, seed: number, stream: number, tokens: number[], maxHalf: number): Examples {
  return n ? concatExamples(batch, repeatedSequences(seed, stream, n, tokens, maxHalf)) : batch;
}

/** Example sets as one batch (targets and labels spelled out, since one set may leave them implicit). */
export function concatExamples(...sets: Examples[]): Examples {
  const rows = sets.flatMap((e) => e.rows);
  const targets = sets.flatMap((e) => e.targets ?? e.rows.map((row) => row.map((_, t) => t).slice(1)));
  const labels = sets.flatMap((e) => e.labels ?? e.rows.map((row, r) => (e.targets?.[r] ?? row.map((_, t) => t).slice(1)).map((t) => row[t])));
  return { rows, targets, labels };
}
