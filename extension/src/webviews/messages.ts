/**
 * Messages from a webview, checked against the panel's protocol schema before anything acts on
 * them: a webview is page script, and what it sends goes on to the engine.
 */
import type * as vscode from 'vscode';
import type { z } from 'zod';
import type { EngineClient } from '../engine/client';

export function onMessage<M>(webview: vscode.Webview, schema: z.ZodType<M>, engine: EngineClient, handler: (m: M) => unknown): vscode.Disposable {
  return webview.onDidReceiveMessage((raw: unknown) => {
    const m = schema.safeParse(raw);
    if (!m.success) {
      const issue = m.error.issues[0];
      engine.output.warn(`ignored a webview message: ${issue.path.join('.') || 'message'}: ${issue.message}`);
      return;
    }
    return handler(m.data);
  });
}
