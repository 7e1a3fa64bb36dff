/** Seed experiment 01: boolean logic over x and y (and / or / not). */
import { suiteExperiment, type Suite } from '../engine/src/tasks/config';

export const booleanSimple: Suite = {
  name: 'boolean-simple',
  description: 'Final value of x after 2–8 and/or/not updates with y (seed 01).',
  experiments: [
    suiteExperiment('boolean_logic', 'boolean_logic', { name: 'boolean' }, { lengths: [2, 3, 4, 5, 6, 7, 8], samplesPerLength: 100, maxNewTokens: 4 }),
  ],
};
