/**
 * The embedded default model: a small Llama-style model the project trains itself on every program
 * kind the benchmark generates (experiments/train/programTracer.ts), shipped in
 * `models/program-tracer/`, so everything works offline out of the box. It continues the binding
 * model (`models/binding-tracer/`), whose from-scratch run is the studies' developmental series.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { IntrospectError } from './errors';

export const EMBEDDED_MODEL_NAME = 'program-tracer';
/** The model whose from-scratch run the shipped series holds. */
const SERIES_MODEL_NAME = 'binding-tracer';

/** The package root: the nearest folder above this module holding `models/` and `package.json`. */
function packageRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'models'))) return dir;
    if (dirname(dir) === dir) throw new IntrospectError('cannot find the models/ folder of the Introspect package', __dirname);
  }
}

export function embeddedModelDir(): string {
  const dir = join(packageRoot(), 'models', EMBEDDED_MODEL_NAME);
  if (!existsSync(join(dir, 'config.json'))) throw new IntrospectError('the embedded model is missing', dir);
  return dir;
}

/** The binding model's developmental series (float16 checkpoints of its from-scratch run, where the paper's phases show), the studies' default. */
export function embeddedSeriesDir(): string {
  const dir = join(packageRoot(), 'models', SERIES_MODEL_NAME, 'series');
  if (!existsSync(dir)) throw new IntrospectError('the embedded series is not installed here; give a series folder', dir);
  return dir;
}
