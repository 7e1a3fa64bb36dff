/**
 * The developmental studies, as the CLI and the experiment runner offer them, with their defaults:
 * seed 002's experiments 1–4 on the embedded model's own domain.
 */
import type { EmergenceSettings, InfluenceSettings, StudyId, SusceptibilitySettings } from '../engine/src/api/studies';
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

export const SUSCEPTIBILITY_STUDY: StudyDefinition<SusceptibilitySettings> = {
  id: 'susceptibility',
  description:
    'Susceptibilities (seed 002, experiments 3 and 4): per checkpoint of a series, SGLD restricted to each attention head, MLP and the embeddings; how each responds to correct and incorrect samples, per token, and the UMAP of the tokens over training.',
  defaults: {
    data: 'binding-correctness',
    // 32 probe samples (~3,000 tokens): every token's loss is recorded at every draw of every run.
    pairs: 16,
    dataSeed: 0,
    samplingData: 'binding',
    samplingSize: 1024,
    samplingObserved: 32,
    components: 'heads,mlp,embed,unembed',
    bootstrap: 200,
    // One run per component: fewer, shorter chains than the influence study's, the same calibrated ε, nβ and γ.
    sampling: { ...SAMPLING_DEFAULTS, nbeta: 30, chains: 2, draws: 100, burnIn: 100 },
  },
};

/** The studies the runner lists, in its order. */
export const STUDIES = [INFLUENCE_STUDY, EMERGENCE_STUDY, SUSCEPTIBILITY_STUDY] as const;
