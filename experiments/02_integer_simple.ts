/** Seed experiment 02: integer tracking of random += / -= sequences. */
import { suiteExperiment, type Suite } from '../engine/src/tasks/config';

export const integerSimple: Suite = {
  name: 'integer-simple',
  description: 'Final value of x after 2–10 random += / -= steps (seed 02).',
  experiments: [
    suiteExperiment('integer_tracking', 'range_tracking', { name: 'plus_minus' }, { lengths: [2, 3, 4, 5, 6, 7, 8, 9, 10], samplesPerLength: 100, maxNewTokens: 6 }),
  ],
};
