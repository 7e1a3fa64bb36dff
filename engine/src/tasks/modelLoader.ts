/**
 * The loader benchmarks use by default: the built-in reference models by name, anything else as
 * a checkpoint folder for the engine.
 */
import type { LoadOptions } from '../model';
import { engineModelLoader } from './engineTextModel';
import { LineHeuristicModel } from './heuristicModel';
import { OracleModel } from './oracle';
import type { ModelLoader } from './textModel';

/** Model names that need no checkpoint: the interpreter oracle and the line-1/line-2 heuristic. */
export const REFERENCE_MODELS = ['oracle', 'line-heuristic'] as const;

export function benchmarkModelLoader(opts: LoadOptions = {}): ModelLoader {
  const engine = engineModelLoader(opts);
  return async (name) => {
    if (name === 'oracle') return new OracleModel(name);
    if (name === 'line-heuristic') return new LineHeuristicModel(name);
    return engine(name);
  };
}
