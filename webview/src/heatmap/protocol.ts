/** Messages between the extension host and the heatmap webview, both ways, and its saved state. */
import type { Intervention, PatchGrid, TopToken } from '../../../engine/src/api/types';

/** What was traced: shown in the panel's header and kept so a restored panel can ask again. */
export interface TraceSubject {
  code: string;
  variable: string;
  /** 1-based line of the variable in `file`. */
  line: number;
  file: string;
  model: string;
  intervention: Intervention;
}

export type Metric = 'normalized' | 'ld' | 'success';

export type ToHeatmap =
  | { type: 'show'; subject: TraceSubject; grid: PatchGrid }
  | { type: 'busy'; message: string }
  | { type: 'cell'; index: number[]; top: TopToken[] }
  | { type: 'error'; message: string };

export type FromHeatmap =
  | { type: 'ready' }
  /** Patched top-k at one cell (one index per axis of the grid). */
  | { type: 'cell'; index: number[] }
  /** Trace the same subject again with another intervention. */
  | { type: 'retrace'; intervention: Intervention }
  | { type: 'export'; format: 'png'; dataUrl: string }
  | { type: 'export'; format: 'json' };

/** The webview's persisted state (vscode.setState), handed back to the serializer on restore. */
export interface HeatmapState {
  subject: TraceSubject;
  grid: PatchGrid;
}

export const HEATMAP_VIEW_TYPE = 'introspect.heatmap';
