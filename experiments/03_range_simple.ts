/** Seed experiment 03: range tracking, as a loop, unrolled, and with varying increments. */
import { suiteExperiment, type Suite } from '../engine/src/tasks/config';

const lengths = Array.from({ length: 15 }, (_, i) => i + 2);
const common = { lengths, samplesPerLength: 100, maxNewTokens: 6 };

export const rangeSimple: Suite = {
  name: 'range-simple',
  description: 'Final value of x for range loops of 2–16 steps: loop, unrolled lines, random increments (seed 03).',
  experiments: [
    suiteExperiment('range_tracking_single', 'range_tracking', { name: 'range' }, common),
    suiteExperiment('range_tracking_lines', 'range_tracking', { name: 'range_lines' }, common),
    suiteExperiment('range_tracking_lines_random', 'range_tracking', { name: 'variable_increments' }, common),
  ],
};
