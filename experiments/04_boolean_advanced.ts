/** Seed experiment 04: boolean logic over three variables that update each other. */
import { suiteExperiment, type Suite } from '../engine/src/tasks/config';

export const booleanAdvanced: Suite = {
  name: 'boolean-advanced',
  description: 'Final value of x when x, y and z update each other with and/or/not, 2–8 steps (seed 04).',
  experiments: [
    suiteExperiment('boolean_advanced', 'boolean_logic', { name: 'boolean_advanced' }, { lengths: [2, 3, 4, 5, 6, 7, 8], samplesPerLength: 100, maxNewTokens: 4 }),
  ],
};
