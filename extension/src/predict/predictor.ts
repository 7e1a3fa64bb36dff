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
    // Hovers and selections see the lines nearest the variable that fit the model's context.
    const prediction = await this.engine.request(predictRequest, { code, variable, topK, fit: 'trim' }, token);
    this.cache.set(key, prediction);
    return prediction;
  }
}

/** The top value and its probability, short enough for the end of a line: `"5" 82%` (long values cut). */
export function formatTop(p: Prediction): string {
  const t = p.value ?? p.top[0];
  if (!t) return 'no prediction';
  const text = t.text.trim() || t.text;
  return `${JSON.stringify(text.length > 12 ? `${text.slice(0, 11)}…` : text)} ${(100 * t.prob).toFixed(0)}%`;
}
