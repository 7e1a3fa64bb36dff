/**
 * A model folder's declared domain (`introspect.json`: `{"domain": {"kinds": ["binding"]}}`): the
 * program kinds it was trained on, so that predictions and traces on other code say the model is
 * outside what it knows instead of passing its guesses off as predictions. Folders without the
 * file (any Hugging Face checkpoint) declare nothing and get no notice.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { ModelDomain } from '../api/types';
import { IntrospectError } from '../errors';
import { firstLineOutside, KIND_SHAPES, PROGRAM_KINDS, programKinds } from '../tasks/programKinds';
import { readJsonFile } from './folder';

export const INTROSPECT_FILE = 'introspect.json';

const IntrospectFile = z.object({
  domain: z.object({ kinds: z.array(z.enum(PROGRAM_KINDS)).min(1) }).strict(),
});

/** The folder's declared domain; undefined when it declares none; an IntrospectError naming the field when the file is malformed. */
export function readModelDomain(dir: string): ModelDomain | undefined {
  const path = join(dir, INTROSPECT_FILE);
  if (!existsSync(path)) return undefined;
  const r = IntrospectFile.safeParse(readJsonFile(path));
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new IntrospectError(`${issue.path.join('.') || 'the file'}: ${issue.message} (program kinds: ${PROGRAM_KINDS.join(', ')})`, path);
  }
  return r.data.domain;
}

export function writeModelDomain(dir: string, domain: ModelDomain): void {
  writeFileSync(join(dir, INTROSPECT_FILE), `${JSON.stringify({ domain }, null, 2)}\n`);
}

/**
 * Why `code` is outside the domain of the model named `model`, in words a user can act on; undefined
 * when the code is of a kind the domain has, or the model declares no domain.
 */
export function domainNotice(model: string, domain: ModelDomain | undefined, code: string): string | undefined {
  if (!domain) return undefined;
  const kinds = programKinds(code);
  if (kinds.some((k) => domain.kinds.includes(k))) return undefined;
  const trained = domain.kinds.map((k) => KIND_SHAPES[k].description).join('; ');
  const outside = firstLineOutside(code, domain.kinds);
  const what = kinds.length
    ? `this code is ${KIND_SHAPES[kinds[0]].name}`
    : outside
      ? `line ${outside.line + 1} (\`${outside.text}\`) is not of that kind`
      : 'this code mixes those kinds';
  return `${model} was trained on ${trained}; ${what}, so its top value is a guess, not a prediction. Choose a code model for general code.`;
}
