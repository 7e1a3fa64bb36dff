/** Messages between the extension host and a study's results panel, both ways (what it sends has a schema). */
import { z } from 'zod';
import { type LatentBrowser, type StudyMatrix, StudyMatrixParams, StudyStepParams, type StudyUmap } from '../../../engine/src/api/protocol';
import type { StudySummary } from '../../../engine/src/studies/kinds';

export type ToStudy =
  /** The study folder's summary so far (sent again as checkpoints finish). */
  | { type: 'summary'; dir: string; summary: StudySummary }
  | { type: 'matrix'; step: number; observable: string; matrix: StudyMatrix }
  | { type: 'latents'; step: number; browser: LatentBrowser }
  | { type: 'umap'; umap: StudyUmap }
  | { type: 'error'; message: string };

export const FromStudy = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  StudyMatrixParams.pick({ step: true, observable: true }).extend({ type: z.literal('matrix') }),
  /** An emergence study's latent browser at one checkpoint. */
  StudyStepParams.pick({ step: true }).extend({ type: z.literal('latents') }),
  /** A susceptibility study's UMAP and PCA frames (the engine computes those it has not yet). */
  z.object({ type: z.literal('umap') }),
]);
export type FromStudy = z.infer<typeof FromStudy>;

/** The panel's persisted state: the folder it shows, so a restored panel can ask again. */
export interface StudyState {
  dir: string;
}

export const STUDY_VIEW_TYPE = 'introspect.study';
