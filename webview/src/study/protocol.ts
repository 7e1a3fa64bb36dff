/** Messages between the extension host and a study's results panel, both ways. */
import type { StudyMatrix } from '../../../engine/src/api/protocol';
import type { InfluenceSummary } from '../../../engine/src/studies/influence';

export type ToStudy =
  /** The study folder's summary so far (sent again as checkpoints finish). */
  | { type: 'summary'; dir: string; summary: InfluenceSummary }
  | { type: 'matrix'; step: number; observable: string; matrix: StudyMatrix }
  | { type: 'error'; message: string };

export type FromStudy = { type: 'ready' } | { type: 'matrix'; step: number; observable: string };

/** The panel's persisted state: the folder it shows, so a restored panel can ask again. */
export interface StudyState {
  dir: string;
}

export const STUDY_VIEW_TYPE = 'introspect.study';
