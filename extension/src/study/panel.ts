/**
 * Study results panels: one webview panel per study folder, restorable after a reload. It shows
 * the folder's summary (each study its own sections) and asks again every few seconds while the study is unfinished, so a
 * running study (from the runner or the command line) fills in checkpoint by checkpoint.
 */
import * as vscode from 'vscode';
import { studyLatentsRequest, studyMatrixRequest, studyResultRequest, studyUmapRequest } from '../../../engine/src/api/protocol';
import { FromStudy, STUDY_VIEW_TYPE, type StudyState, type ToStudy } from '../../../webview/src/study/protocol';
import type { EngineClient } from '../engine/client';
import { webviewHtml, webviewOptions } from '../webviews/html';
import { onMessage } from '../webviews/messages';

const BODY = `
<h1 id="title">Study</h1>
<div id="meta"></div>
<div id="status"></div>
<div id="empty" class="hint">No checkpoint has finished yet.</div>
<section id="influence" hidden>
<div class="controls"><label>Losses<vscode-single-select id="observable"></vscode-single-select></label></div>
<h2>Mean BIF between groups</h2>
<div class="chart"><canvas id="bif-chart"></canvas></div>
<div id="events"></div>
<h2>Local learning coefficient</h2>
<div class="chart"><canvas id="llc-chart"></canvas></div>
<h2>BIF between samples</h2>
<div class="controls"><label>Checkpoint<vscode-single-select id="step"></vscode-single-select></label></div>
<div id="matrix-wrap"><canvas id="matrix"></canvas></div>
<div id="matrix-legend"></div>
</section>
<section id="emergence" hidden>
<h2>Correct vs incorrect: held-out accuracy</h2>
<div class="chart"><canvas id="emergence-chart"></canvas></div>
<div id="birth"></div>
<h2>SAE quality</h2>
<div class="chart"><canvas id="sae-chart"></canvas></div>
<h2>Latent browser</h2>
<div class="controls">
  <label>Checkpoint<vscode-single-select id="latent-step"></vscode-single-select></label>
  <label>Latent<vscode-single-select id="latent"></vscode-single-select></label>
</div>
<div id="latent-meta"></div>
<div id="latent-samples"></div>
</section>
<section id="susceptibility" hidden>
<div class="controls">
  <label>Losses<vscode-single-select id="chi-observable"></vscode-single-select></label>
  <label>Checkpoint<vscode-single-select id="chi-step"></vscode-single-select></label>
</div>
<h2>Susceptibilities: components × perturbations</h2>
<div id="chi-wrap"><canvas id="chi-matrix"></canvas></div>
<div id="chi-legend"></div>
<h2>Weight-refined LLC per component</h2>
<div class="chart"><canvas id="chi-llc"></canvas></div>
<h2>Tokens over training (UMAP of their susceptibility vectors)</h2>
<div class="controls">
  <label>Embedding<vscode-single-select id="embedding"><vscode-option value="umap">UMAP</vscode-option><vscode-option value="pca">PCA (PC1, PC2)</vscode-option></vscode-single-select></label>
  <label>Checkpoint <span id="frame-step"></span><input id="frame" type="range" min="0" max="0" value="0"></label>
</div>
<div id="umap-status" class="hint"></div>
<div id="scatter-wrap"><canvas id="scatter"></canvas></div>
<div id="hovered" class="hint">Hover a point for its token in context.</div>
<div id="pca-note"></div>
</section>`;

const POLL_MS = 2000;

export class StudyPanels {
  private readonly open = new Map<string, vscode.WebviewPanel>();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly engine: EngineClient,
  ) {
    context.subscriptions.push(
      vscode.window.registerWebviewPanelSerializer(STUDY_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: StudyState | undefined) => {
          if (state?.dir) this.attach(panel, state.dir);
          else panel.dispose();
        },
      }),
    );
  }

  /** Shows the study folder `dir` (its panel, if one is open already). */
  show(dir: string): void {
    const existing = this.open.get(dir);
    if (existing) return existing.reveal();
    const name = dir.split(/[\\/]/).filter(Boolean).pop() ?? dir;
    const panel = vscode.window.createWebviewPanel(STUDY_VIEW_TYPE, `Study: ${name}`, vscode.ViewColumn.Active, webviewOptions(this.context.extensionUri));
    this.attach(panel, dir);
  }

  private attach(panel: vscode.WebviewPanel, dir: string): void {
    this.open.set(dir, panel);
    const webview = panel.webview;
    webview.options = webviewOptions(this.context.extensionUri);
    webview.html = webviewHtml(webview, this.context.extensionUri, { bundle: 'study', title: 'Introspect study', body: BODY });
    panel.iconPath = vscode.Uri.joinPath(this.context.extensionUri, 'extension', 'media', 'introspect.svg');
    const send = (m: ToStudy) => void webview.postMessage(m);
    let shown = '';
    let timer: NodeJS.Timeout | undefined;
    const refresh = async () => {
      timer = undefined;
      try {
        const summary = await this.engine.request(studyResultRequest, { dir });
        // Only what changed is sent again, so a chosen checkpoint or observable stays as it is.
        const key = `${summary.rows.length}:${summary.finished}`;
        if (key !== shown) {
          shown = key;
          send({ type: 'summary', dir, summary });
        }
        if (!summary.finished && panel.visible) timer = setTimeout(refresh, POLL_MS);
      } catch (err) {
        send({ type: 'error', message: `Error: ${(err as Error).message}` });
      }
    };
    const sub = onMessage(webview, FromStudy, this.engine, async (m) => {
      try {
        if (m.type === 'ready') {
          shown = '';
          await refresh();
        } else if (m.type === 'matrix') send({ type: 'matrix', step: m.step, observable: m.observable, matrix: await this.engine.request(studyMatrixRequest, { dir, step: m.step, observable: m.observable }) });
        else if (m.type === 'latents') send({ type: 'latents', step: m.step, browser: await this.engine.request(studyLatentsRequest, { dir, step: m.step }) });
        else if (m.type === 'umap') send({ type: 'umap', umap: await this.engine.request(studyUmapRequest, { dir }) });
      } catch (err) {
        send({ type: 'error', message: `Error: ${(err as Error).message}` });
      }
    });
    const visible = panel.onDidChangeViewState(() => {
      if (panel.visible && !timer) void refresh();
    });
    panel.onDidDispose(() => {
      clearTimeout(timer);
      sub.dispose();
      visible.dispose();
      this.open.delete(dir);
    });
  }
}
