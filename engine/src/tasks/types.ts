/** Types shared by the task library: generated programs, generators, answers. */
import type { Rng } from './rng';

/** What a task's program evaluates to: an integer or a boolean. */
export type Answer = number | boolean;

/** Plain-JSON metadata a generator attaches to a program (written into result rows). */
export type Metadata = { [key: string]: unknown };

export interface GeneratedProgram<A extends Answer = Answer, M extends Metadata = Metadata> {
  /** Python-like source, lines joined by "\n", no trailing newline. */
  program: string;
  answer: A;
  metadata: M;
}

/** A program generator: `seqLen` is the family's size knob (lines, loop count, steps). */
export type Generator<A extends Answer = Answer, M extends Metadata = Metadata> = (
  seqLen: number,
  rng: Rng,
) => GeneratedProgram<A, M>;
