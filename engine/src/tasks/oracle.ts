/**
 * The oracle: a deterministic text model that answers task prompts by running the program with
 * the interpreter. It is the ground-truth reference of a benchmark (what a perfect model would
 * score) and lets the runner be exercised end to end without model weights.
 */
import { IntrospectError } from '../errors';
import { PyException, runPython, type PyValue } from './interpreter';
import type { GenerateOptions, TextModel } from './textModel';

/** How the oracle phrases its answer: the bare value, or a sentence as chat models write. */
export type OracleStyle = 'bare' | 'sentence';

export class OracleModel implements TextModel {
  constructor(
    readonly name = 'oracle',
    private readonly style: OracleStyle = 'bare',
  ) {}

  async generate(prompts: string[], _opts: GenerateOptions): Promise<string[]> {
    return prompts.map((p) => this.answer(p));
  }

  async dispose(): Promise<void> {}

  private answer(prompt: string): string {
    let value: PyValue;
    try {
      value = oracleValue(prompt);
    } catch (e) {
      // No numbers in the refusal, so no parser mistakes it for an answer.
      if (e instanceof PyException) return `I cannot evaluate this program: it raises ${e.type}.\n`;
      if (e instanceof IntrospectError) return 'I cannot evaluate this program: unsupported syntax.\n';
      throw e;
    }
    const text = typeof value === 'boolean' ? (value ? 'True' : 'False') : String(value);
    if (this.style === 'sentence') return ` The answer is ${text}.\n`;
    return /\s$/.test(prompt) ? `${text}\n` : ` ${text}\n`;
  }
}

/**
 * The value a prompt asks for. The program is the last ```python block, or the whole prompt for
 * binding prompts; the variable is the binding query `#q:`, else the one the question names
 * ("final value of x"), else `x` (the seed's convention), else the last one assigned.
 */
export function oracleValue(prompt: string): PyValue {
  const fences = [...prompt.matchAll(/```python\n([\s\S]*?)\n```/g)];
  const program = fences.length ? fences[fences.length - 1][1] : prompt;
  const after = fences.length ? prompt.slice(fences[fences.length - 1].index! + fences[fences.length - 1][0].length) : '';
  const before = fences.length ? prompt.slice(0, fences[fences.length - 1].index) : '';
  const env = runPython(program);
  const query = /^#\s*([A-Za-z_]\w*)\s*:\s*$/m.exec(program.trimEnd().split('\n').pop() ?? '');
  if (query && !env.has(query[1])) throw new PyException('NameError', `name '${query[1]}' is not defined`);
  const asked = [...`${before}\n${after}`.matchAll(/value of (?:the variable )?[`'"]?([A-Za-z_]\w*)/g)].map((m) => m[1]);
  const candidates = [query?.[1], ...asked.reverse(), 'x', [...env.keys()].pop()];
  for (const name of candidates) {
    if (name !== undefined && env.has(name)) return env.get(name)!;
  }
  throw new IntrospectError('the program assigns no variable', 'prompt');
}
