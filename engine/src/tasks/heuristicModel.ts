/**
 * The line-1/line-2 heuristic as a model: for a binding prompt it answers the first digit assigned
 * on the program's first two lines — the shallow strategy a Transformer trained from scratch uses
 * on its accuracy plateau (Wu et al. 2025). A baseline for binding benchmarks: programs it solves
 * are exactly those whose metadata says `heuristic.reachable` and whose line-1 (or, when line 1
 * copies a variable, line-2) digit is the answer.
 */
import type { GenerateOptions, TextModel } from './textModel';

export class LineHeuristicModel implements TextModel {
  constructor(readonly name = 'line-heuristic') {}

  async generate(prompts: string[], _opts: GenerateOptions): Promise<string[]> {
    return prompts.map((p) => {
      const digit = p
        .split('\n')
        .slice(0, 2)
        .map((l) => /^\s*\w+\s*=\s*(\d+)\s*$/.exec(l)?.[1])
        .find((d) => d !== undefined);
      return digit === undefined ? '' : ` ${digit}\n`;
    });
  }

  async dispose(): Promise<void> {}
}
