/**
 * A developmental study's settings as they cross boundaries — JSON-RPC params, the runner's
 * messages, `study.json` on disk — as runtime schemas with the TypeScript types derived from them.
 */
import { z } from 'zod';

const count = (max: number) => z.number().int().min(1).max(max);
const finite = z.number().finite();

export const SAMPLERS = ['sgld', 'rmsprop-sgld'] as const;
export type SamplerKind = (typeof SAMPLERS)[number];

export const SamplingSettings = z.object({
  sampler: z.enum(SAMPLERS),
  epsilon: finite.positive(),
  /** Default: batch size / ln(batch size), as devinterp. */
  nbeta: finite.positive().optional(),
  gamma: finite.nonnegative(),
  weightDecay: finite.nonnegative(),
  boundingBox: finite.positive().optional(),
  noiseLevel: finite.nonnegative(),
  alpha: finite.min(0).max(1),
  rmsEps: finite.positive(),
  chains: count(1024),
  draws: count(1_000_000),
  burnIn: z.number().int().min(0).max(10_000_000),
  every: count(10_000),
  batchSize: count(65_536),
  seed: z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1),
  /** Minibatches L(θ*) is averaged over. */
  initBatches: count(10_000),
  /** Weight restriction (`full`, `l0.h1`, …). */
  restrict: z.string().min(1).max(1000),
  /** Also record every token's loss of the observed samples at every draw. */
  perToken: z.boolean(),
  /** MALA acceptance measured every this many steps (0: never; each costs a gradient evaluation). */
  malaEvery: z.number().int().min(0).max(1_000_000),
});
export type SamplingSettings = z.infer<typeof SamplingSettings>;

export const InfluenceSettings = z.object({
  /** A series folder, hub repository or JSON list (see studies/series.ts). */
  series: z.string().min(1).max(4096),
  steps: z.array(z.number().int().min(0)).min(1).max(100_000).optional(),
  /** `binding-correctness`, `code-pairs` or a JSON-lines file. */
  data: z.string().min(1).max(4096),
  /** Pairs generated for a generated data set. */
  pairs: count(100_000),
  /** What the chains sample on: `binding`, `study`, `study:<group>`, or a file. */
  samplingData: z.string().min(1).max(4096),
  /** Programs generated for `binding` sampling data. */
  samplingSize: count(1_000_000),
  dataSeed: z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1),
  sampling: SamplingSettings,
});
export type InfluenceSettings = z.infer<typeof InfluenceSettings>;

/** Which tokens of each sample an activation cache keeps: every one, the last, or the sample's claim (e.g. a claimed value). */
export const POSITION_KINDS = ['all', 'last', 'claim'] as const;
export type PositionKind = (typeof POSITION_KINDS)[number];

export const SAE_KINDS = ['relu', 'topk'] as const;
export type SaeKind = (typeof SAE_KINDS)[number];

export const SaeSettings = z.object({
  kind: z.enum(SAE_KINDS),
  latents: count(1_000_000),
  /** Latents kept per token (TopK). */
  k: count(1_000_000),
  /** λ of the decoder-norm-weighted L1 (ReLU). */
  l1: finite.nonnegative(),
  lr: finite.positive(),
  /** Maximum gradient norm. */
  clip: finite.positive(),
  /** Tokens per step. */
  batch: count(1_000_000),
  steps: count(10_000_000),
  seed: z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1),
  /** Start each checkpoint's SAE from the previous checkpoint's. */
  warmStart: z.boolean(),
});
export type SaeSettings = z.infer<typeof SaeSettings>;

export const EmergenceSettings = z.object({
  series: z.string().min(1).max(4096),
  steps: z.array(z.number().int().min(0)).min(1).max(100_000).optional(),
  /** A block hook, `blocks.{l}.{kind}`. */
  hook: z.string().regex(/^blocks\.\d+\.[\w.]+$/),
  positions: z.enum(POSITION_KINDS),
  /** `binding-correctness`, `code-pairs` or a JSON-lines file with `correct` / `incorrect` groups. */
  data: z.string().min(1).max(4096),
  pairs: count(1_000_000),
  dataSeed: z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1),
  sae: SaeSettings,
  /** Correct samples the CE-recovered splice is measured on. */
  spliceSamples: count(1_000_000),
  /** Share of the pairs the latents and probes are chosen on; the rest is held out. */
  trainFraction: finite.gt(0).lt(1),
  /** Held-out accuracy at which the matched correctness latent counts as born. */
  birthAccuracy: finite.gt(0.5).max(1),
});
export type EmergenceSettings = z.infer<typeof EmergenceSettings>;

export const SusceptibilitySettings = z.object({
  series: z.string().min(1).max(4096),
  steps: z.array(z.number().int().min(0)).min(1).max(100_000).optional(),
  /** The probe data (`binding-correctness`, `code-pairs` or a JSON-lines file): its groups are the perturbation directions. */
  data: z.string().min(1).max(4096),
  pairs: count(100_000),
  dataSeed: z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1),
  /** What the chains sample on, as in the influence study. */
  samplingData: z.string().min(1).max(4096),
  samplingSize: count(1_000_000),
  /** Sampling-data samples whose loss is measured at every draw: L, whose rise φ = L − L(θ*) is each component's observable. */
  samplingObserved: count(100_000),
  /** Components, comma-separated: kinds (`heads`, `mlp`, `attn`, `layers`, `embed`, `unembed`) or restrictions (`l0.h1`, `l1.mlp+l2.mlp`). */
  components: z.string().min(1).max(10_000),
  /** Resamples of the draws for the intervals of the group susceptibilities. */
  bootstrap: count(100_000),
  /** The sampler's settings; each component restricts them to its own weights (a full run is the reference). */
  sampling: SamplingSettings,
});
export type SusceptibilitySettings = z.infer<typeof SusceptibilitySettings>;

/** The studies, by the id the CLI, the runner and `study/create` know them by. */
export const STUDY_IDS = ['influence', 'emergence', 'susceptibility'] as const;
export type StudyId = (typeof STUDY_IDS)[number];

/** A study and its settings, as the runner sends them and `study/create` takes them. */
export const StudyChoice = z.discriminatedUnion('id', [
  z.object({ id: z.literal('influence'), settings: InfluenceSettings }),
  z.object({ id: z.literal('emergence'), settings: EmergenceSettings }),
  z.object({ id: z.literal('susceptibility'), settings: SusceptibilitySettings }),
]);
export type StudyChoice = z.infer<typeof StudyChoice>;
export type StudySettings = StudyChoice['settings'];

/** Which study a folder's `study.json` belongs to (each study's settings have a field of their own; folders from before the others were influence studies). */
export function studyIdOf(settings: StudySettings): StudyId {
  return 'sae' in settings ? 'emergence' : 'components' in settings ? 'susceptibility' : 'influence';
}
