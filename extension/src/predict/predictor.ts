/**
 * Predictions for a variable at a line, shared by the hover and the selection decorations: asks
 * the engine (with cancellation) and caches by model and code.
 */
import type * as vscode from 'vscode';
import { predictRequest } from '../../../engine/src/api/protocol';
import type { Prediction } from '../../../engine/src/api/types';
import type { EngineClient } from '../engine/client';
import { readSettings } from '../settings';
import { LruCache } from './cache';

export class Predictor {
  private readonly cache = new LruCache<Prediction>(256);

  constructor(private readonly engine: EngineClient) {
    engine.onModelChanged(() => this.cache.clear());
  }

  /** Top-k next tokens for `variable` after `code` (the code up to and including its line). */
  async predict(code: string, variable: string, token?: vscode.CancellationToken): Promise<Prediction> {
    const topK = readSettings().topK;
    const key = `${this.engine.model?.dir}\u0000${topK}\u0000${variable}\u0000${code}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const prediction = await this.engine.request(predictRequest, { code, variable, topK }, token);
    this.cache.set(key, prediction);
    return prediction;
  }
}

/** "5" (82%) — the top token as shown in decorations and hovers. */
export function formatTop(p: Prediction): string {
  const t = p.top[0];
  return t ? `${JSON.stringify(t.text.trim() || t.text)} (${(100 * t.prob).toFixed(0)}%)` : 'no prediction';
}
