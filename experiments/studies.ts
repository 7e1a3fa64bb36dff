/**
 * The developmental studies, as the CLI and the experiment runner offer them, with their defaults:
 * seed 002's experiment 1 on the embedded model's own domain.
 */
import type { InfluenceSettings } from '../engine/src/api/studies';
import { SAMPLING_DEFAULTS } from '../engine/src/studies/sampleCheckpoint';

export interface StudyDefinition {
  id: string;
  description: string;
  /** Everything but the series, which is the user's (or the embedded model's). */
  defaults: Omit<InfluenceSettings, 'series'>;
}

export const INFLUENCE_STUDY: StudyDefinition = {
  id: 'influence',
  description:
    'Influence dynamics (seed 002, experiment 1): per checkpoint of a series, SGLD chains around it give the LLC and the BIF between correct and incorrect samples.',
  defaults: {
    data: 'binding-correctness',
    pairs: 100,
    samplingData: 'binding',
    samplingSize: 1024,
    dataSeed: 0,
    // The inverse temperature the calibration sweep used (docs/studies.md).
    sampling: { ...SAMPLING_DEFAULTS, nbeta: 30 },
  },
};
