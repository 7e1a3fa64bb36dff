/**
 * Binding programs as study data, in the embedded model's own domain (the paper's format: 16
 * assignments and `#q:`, 1–4 hops balanced).
 * - `binding-correctness`: each program followed by a claimed value — the true one (group
 *   `correct`) or a wrong one (`incorrect`), the same program in both, twins by pair id. The wrong
 *   value is another digit the program assigns, where there is one (a plausible mistake: a
 *   distractor's value), else any other digit. The claim is the digit's span.
 * - `binding`: programs with their true answer, the distribution the model was trained on (the
 *   sampler's default data for this domain).
 */
import { bindingProgram } from '../../tasks/binding';
import { Rng } from '../../tasks/rng';
import type { StudyData, StudySample } from './samples';

const LINES = 16;

function programs(n: number, seed: number, stream: number): { program: string; answer: number }[] {
  const rng = new Rng(seed * 1_000_003 + stream);
  return Array.from({ length: n }, () => bindingProgram(LINES, rng, { hops: 'balanced' }));
}

export function bindingCorrectness(pairs: number, seed: number): StudyData {
  const rng = new Rng(seed * 1_000_003 + 2);
  const samples: StudySample[] = programs(pairs, seed, 1).flatMap(({ program, answer }, pair) => {
    const assigned = [...new Set(program.match(/(?<= = )\d$/gm)!.map(Number))].filter((d) => d !== answer);
    const others = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter((d) => d !== answer);
    const wrong = rng.choice(assigned.length ? assigned : others);
    const claim: [number, number] = [program.length, program.length + 1];
    return [
      { text: `${program}${answer}`, group: 'correct', pair, claim },
      { text: `${program}${wrong}`, group: 'incorrect', pair, claim },
    ];
  });
  return { name: 'binding-correctness', samples };
}

export function bindingData(n: number, seed: number): StudyData {
  return { name: 'binding', samples: programs(n, seed, 3).map(({ program, answer }) => ({ text: `${program}${answer}`, group: 'binding', claim: [program.length, program.length + 1] })) };
}
