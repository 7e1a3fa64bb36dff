/**
 * Every program kind the benchmark generates, asked in the embedded models' query form (`#x:` after
 * the program, the value up to a newline) at the benchmark's lengths — the per-kind accuracy the
 * embedded model's README reports — and binding in the paper's format.
 */
import { suiteExperiment, type Suite } from '../engine/src/tasks/config';
import type { GeneratorName } from '../engine/src/tasks/generators';

const lengths = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

const kind = (name: GeneratorName, from: number, to: number, boolean = false) =>
  suiteExperiment(`kinds_${name}`, 'query', { name }, { lengths: lengths(from, to), samplesPerLength: 20, maxNewTokens: boolean ? 2 : 6, stop: ['\n'], parser: boolean ? 'boolean' : 'integer' });

export const programKinds: Suite = {
  name: 'program-kinds',
  description: "Each generator's programs with the query `#x:` (range loops 2–16, increments 2–16, ± 2–10, booleans 2–8, the rest 2–6), and binding (16 lines, 1–4 hops).",
  experiments: [
    kind('range', 2, 16),
    kind('counter', 2, 6),
    kind('range_lines', 2, 16),
    kind('variable_increments', 2, 16),
    kind('arithmetic_sequence', 2, 6),
    kind('plus_minus', 2, 10),
    kind('fibonacci', 2, 6),
    kind('boolean', 2, 8, true),
    kind('boolean_advanced', 2, 8, true),
    kind('exception', 2, 6),
    suiteExperiment('kinds_binding', 'variable_binding', { name: 'binding', options: { hops: 'balanced' } }, { lengths: [16], samplesPerLength: 200, maxNewTokens: 3 }),
  ],
};
