/**
 * Heatmap panels: one webview panel per trace, restorable after a reload (the webview keeps the
 * grid in its state and the serializer hands it back), answering the webview's typed messages.
 */
import { writeFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { patchedTopKRequest } from '../../../engine/src/api/protocol';
import type { PatchGrid } from '../../../engine/src/api/types';
import { FromHeatmap, HEATMAP_VIEW_TYPE, type HeatmapState, type ToHeatmap, type TraceSubject } from '../../../webview/src/heatmap/protocol';
import type { EngineClient } from '../engine/client';
import { CancelledError } from '../engine/process';
import { readSettings } from '../settings';
import { webviewHtml, webviewOptions } from '../webviews/html';
import { onMessage } from '../webviews/messages';
import { runTrace } from './trace';

const BODY = `
<h1 id="title">Trace</h1>
<div id="meta"></div>
<div id="domain" role="alert" hidden></div>
<div class="controls">
  <label>Metric<vscode-single-select id="metric"></vscode-single-select></label>
  <label id="view-label">View<vscode-single-select id="view"></vscode-single-select></label>
  <label>Intervention<vscode-single-select id="intervention"></vscode-single-select></label>
  <span class="buttons">
    <vscode-button id="export-png" secondary>Export PNG</vscode-button>
    <vscode-button id="export-json" secondary>Export JSON</vscode-button>
  </span>
</div>
<div id="status"></div>
<div id="chart-wrap"><canvas id="chart"></canvas></div>
<div id="legend"></div>
<div id="cell"></div>`;

export class HeatmapPanels {
  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly engine: EngineClient,
  ) {
    context.subscriptions.push(
      vscode.window.registerWebviewPanelSerializer(HEATMAP_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: HeatmapState | undefined) => {
          this.attach(panel, state);
        },
      }),
    );
  }

  /** Opens a new panel showing `grid`. */
  show(subject: TraceSubject, grid: PatchGrid): vscode.WebviewPanel {
    const panel = vscode.window.createWebviewPanel(HEATMAP_VIEW_TYPE, `Trace: ${subject.variable}`, vscode.ViewColumn.Beside, {
      ...webviewOptions(this.context.extensionUri),
      retainContextWhenHidden: false,
    });
    this.attach(panel, { subject, grid });
    return panel;
  }

  private attach(panel: vscode.WebviewPanel, initial: HeatmapState | undefined): void {
    let current = initial;
    const webview = panel.webview;
    webview.options = webviewOptions(this.context.extensionUri);
    webview.html = webviewHtml(webview, this.context.extensionUri, { bundle: 'heatmap', title: 'Introspect trace', body: BODY });
    panel.iconPath = vscode.Uri.joinPath(this.context.extensionUri, 'extension', 'media', 'introspect.svg');
    const send = (m: ToHeatmap) => void webview.postMessage(m);
    const sub = onMessage(webview, FromHeatmap, this.engine, async (m) => {
      try {
        switch (m.type) {
          case 'ready':
            if (current) send({ type: 'show', ...current });
            break;
          case 'cell': {
            if (!current) return;
            const top = await this.engine.request(patchedTopKRequest, { ...current.subject, index: m.index, topK: readSettings().topK });
            send({ type: 'cell', index: m.index, top });
            break;
          }
          case 'retrace': {
            if (!current) return;
            const subject = { ...current.subject, intervention: m.intervention, model: this.engine.model?.name ?? current.subject.model };
            send({ type: 'busy', message: `Tracing with ${m.intervention} …` });
            const grid = await runTrace(this.engine, subject);
            current = { subject, grid };
            send({ type: 'show', ...current });
            break;
          }
          case 'export':
            if (current) await exportHeatmap(current, m);
            break;
        }
      } catch (err) {
        send({ type: 'error', message: err instanceof CancelledError ? 'Cancelled.' : `Error: ${(err as Error).message}` });
      }
    });
    panel.onDidDispose(() => sub.dispose());
  }
}

async function exportHeatmap(state: HeatmapState, m: Extract<FromHeatmap, { type: 'export' }>): Promise<void> {
  const base = `${state.subject.variable}-${state.subject.intervention}`;
  const ws = vscode.workspace.workspaceFolders?.[0]?.uri;
  const defaultUri = ws ? vscode.Uri.joinPath(ws, `${base}.${m.format}`) : undefined;
  const target = await vscode.window.showSaveDialog({ defaultUri, filters: m.format === 'png' ? { PNG: ['png'] } : { JSON: ['json'] } });
  if (!target) return;
  const data = m.format === 'png' ? Buffer.from(m.dataUrl.replace(/^data:image\/png;base64,/, ''), 'base64') : JSON.stringify(state, null, 1);
  await writeFile(target.fsPath, data);
  void vscode.window.showInformationMessage(`Introspect: saved ${target.fsPath}`);
}
