/**
 * Seed experiment 11: seeds of binding programs every model answers correctly, for 1–3 hops at
 * 5 and 17 lines — the programs causal tracing starts from.
 */
import { suiteExperiment, type Suite } from '../engine/src/tasks/config';

export const robustSeeds: Suite = {
  name: 'robust-seeds',
  description: 'Binding programs (1–3 hops × 5 and 17 lines) that every model gets right (seed 11).',
  experiments: [1, 2, 3].map((hops) =>
    suiteExperiment(`robust_seeds_hops${hops}`, 'variable_binding', { name: 'binding', options: { hops, queryFormat: 'seed' } }, { lengths: [5, 17], samplesPerLength: 50, maxNewTokens: 3 }),
  ),
  analysis: 'robust-seeds',
};
