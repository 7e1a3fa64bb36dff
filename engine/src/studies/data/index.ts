/**
 * The data sets a study can name: generated ones (`binding-correctness`, `code-pairs`, `binding`)
 * or a user's JSON-lines file of `{"text": …, "group": …}` (optional `pair`, `claim: [start, end]`).
 */
import { readFileSync } from 'node:fs';
import { IntrospectError } from '../../errors';
import { bindingCorrectness, bindingData } from './binding';
import { codePairs } from './codePairs';
import type { StudyData, StudySample } from './samples';

/** Data sets generated here, by name (what `--data` takes besides a file). */
export const GENERATED_DATA = ['binding-correctness', 'code-pairs'] as const;

/** `n`: pairs for the paired sets, samples for `binding`. */
export function studyData(name: string, n: number, seed: number): StudyData {
  if (name === 'binding-correctness') return bindingCorrectness(n, seed);
  if (name === 'code-pairs') return codePairs(n, seed);
  if (name === 'binding') return bindingData(n, seed);
  return readSampleFile(name);
}

function readSampleFile(path: string): StudyData {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new IntrospectError(
      code === 'ENOENT' ? `no such file, nor a data set of that name (${[...GENERATED_DATA, 'binding'].join(', ')}, or a .jsonl file)` : `cannot read (${code ?? e})`,
      path,
    );
  }
  const samples = text.split('\n').flatMap((line, i): StudySample[] => {
    if (!line.trim()) return [];
    const at = `${path}:${i + 1}`;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new IntrospectError(`not JSON (${(e as Error).message})`, at);
    }
    const o = v as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || typeof o.text !== 'string' || !o.text) throw new IntrospectError('needs a non-empty "text" string', at);
    if (o.group !== undefined && typeof o.group !== 'string') throw new IntrospectError('"group" must be a string', at);
    if (o.pair !== undefined && !Number.isSafeInteger(o.pair)) throw new IntrospectError('"pair" must be an integer', at);
    const c = o.claim as unknown[] | undefined;
    if (c !== undefined && !(Array.isArray(c) && c.length === 2 && c.every(Number.isSafeInteger) && 0 <= (c[0] as number) && (c[0] as number) < (c[1] as number) && (c[1] as number) <= o.text.length))
      throw new IntrospectError('"claim" must be [start, end) character offsets within the text', at);
    return [{ text: o.text, group: (o.group as string | undefined) ?? 'all', ...(o.pair !== undefined ? { pair: o.pair as number } : {}), ...(c ? { claim: c as [number, number] } : {}) }];
  });
  if (samples.length === 0) throw new IntrospectError('holds no samples', path);
  return { name: path, samples };
}
