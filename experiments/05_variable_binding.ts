/**
 * Seed experiment 05: variable binding. `variable_binding` repeats the seed's sweep (1–17
 * assignment lines, query `#q: `); `variable_binding_hops` is the paper's setting (16 lines +
 * `#q:`) with depth-balanced 1–4 hops, so accuracy by hops is comparable.
 */
import { suiteExperiment, type Suite } from '../engine/src/tasks/config';

export const variableBinding: Suite = {
  name: 'variable-binding',
  description: 'Dereferencing variable chains: seed sweep over 1–17 lines, and 1–4 hops in the paper format (seed 05).',
  experiments: [
    suiteExperiment(
      'variable_binding',
      'variable_binding',
      { name: 'binding', options: { queryFormat: 'seed' } },
      { lengths: Array.from({ length: 17 }, (_, i) => i + 1), samplesPerLength: 100, maxNewTokens: 3 },
    ),
    suiteExperiment('variable_binding_hops', 'variable_binding', { name: 'binding', options: { hops: 'balanced' } }, { lengths: [16], samplesPerLength: 400, maxNewTokens: 3 }),
  ],
};
