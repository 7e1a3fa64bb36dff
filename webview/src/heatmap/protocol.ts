/** Messages between the extension host and the heatmap webview, both ways (what it sends has a schema), and its saved state. */
import { z } from 'zod';
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

// A plain union: two messages share the type `export` (told apart by `format`).
export const FromHeatmap = z.union([
  z.object({ type: z.literal('ready') }),
  /** Patched top-k at one cell (one index per axis of the grid). */
  z.object({ type: z.literal('cell'), index: z.array(z.number().int().min(0)).min(1).max(3) }),
  /** Trace the same subject again with another intervention. */
  z.object({ type: z.literal('retrace'), intervention: z.enum(['resid', 'mlp', 'heads', 'knockout']) }),
  z.object({ type: z.literal('export'), format: z.literal('png'), dataUrl: z.string().startsWith('data:image/png;base64,').max(64 * 1024 * 1024) }),
  z.object({ type: z.literal('export'), format: z.literal('json') }),
]);
export type FromHeatmap = z.infer<typeof FromHeatmap>;

/** The webview's persisted state (vscode.setState), handed back to the serializer on restore. */
export interface HeatmapState {
  subject: TraceSubject;
  grid: PatchGrid;
}

export const HEATMAP_VIEW_TYPE = 'introspect.heatmap';
