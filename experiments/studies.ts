/**
 * The developmental studies, as the CLI and the experiment runner offer them, with their defaults:
 * seed 002's experiments 1 and 2 on the embedded model's own domain.
 */
import type { EmergenceSettings, InfluenceSettings, StudyId } from '../engine/src/api/studies';
import { SAE_DEFAULTS } from '../engine/src/sae/train';
import { SAMPLING_DEFAULTS } from '../engine/src/studies/sampleCheckpoint';

export interface StudyDefinition<S> {
  id: StudyId;
  description: string;
  /** Everything but the series, which is the user's (or the embedded model's). */
  defaults: Omit<S, 'series'>;
}

export const INFLUENCE_STUDY: StudyDefinition<InfluenceSettings> = {
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

export const EMERGENCE_STUDY: StudyDefinition<EmergenceSettings> = {
  id: 'emergence',
  description:
    'Feature emergence (seed 002, experiment 2): per checkpoint of a series, an SAE on one hook point; which latents and linear probes tell correct from incorrect code, on held-out pairs, and when the matched latent is born.',
  defaults: {
    hook: 'blocks.3.hook_resid_post',
    positions: 'claim',
    data: 'binding-correctness',
    pairs: 1000,
    dataSeed: 0,
    sae: { kind: 'relu', latents: 512, k: 32, ...SAE_DEFAULTS, steps: 2000, warmStart: false },
    spliceSamples: 256,
    trainFraction: 0.5,
    birthAccuracy: 0.8,
  },
};

/** The studies the runner lists, in its order. */
export const STUDIES = [INFLUENCE_STUDY, EMERGENCE_STUDY] as const;
