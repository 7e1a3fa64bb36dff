/** Runs a trace for a subject under a cancellable progress notification. */
import { traceRequest } from '../../../engine/src/api/protocol';
import type { PatchGrid } from '../../../engine/src/api/types';
import type { TraceSubject } from '../../../webview/src/heatmap/protocol';
import type { EngineClient } from '../engine/client';
import { readSettings } from '../settings';

export function runTrace(engine: EngineClient, subject: TraceSubject): Promise<PatchGrid> {
  return engine.withProgress(`Introspect: tracing ${subject.variable} (${subject.intervention})`, (token, progressToken) =>
    engine.request(
      traceRequest,
      { code: subject.code, variable: subject.variable, intervention: subject.intervention, batchSize: readSettings().batchSize, progressToken },
      token,
    ),
  );
}
