/** A run summary's accuracy table as chart series: one line per model, one point per length. */
import type { RunSummary } from '../../../engine/src/api/protocol';

export interface AccuracySeries {
  lengths: number[];
  /** accuracy[i] belongs to lengths[i]; null where the run has no such point. */
  models: { name: string; accuracy: (number | null)[] }[];
}

export function accuracySeries(summary: RunSummary): AccuracySeries {
  const lengths = [...new Set(summary.accuracy.map((p) => p.length))].sort((a, b) => a - b);
  const names = [...new Set(summary.accuracy.map((p) => p.model))];
  return {
    lengths,
    models: names.map((name) => ({
      name: name.split(/[\\/]/).filter(Boolean).pop() ?? name,
      accuracy: lengths.map((len) => {
        const p = summary.accuracy.find((q) => q.model === name && q.length === len);
        return p && p.n > 0 ? p.correct / p.n : null;
      }),
    })),
  };
}
