/**
 * The experiment runner in the side bar (a webview view): lists suites, studies, models and past
 * results, launches runs in the engine with progress and cancellation, and shows their summaries.
 */
import * as vscode from 'vscode';
import { benchRunRequest, listResultsRequest, listRunnablesRequest, type RunSummary } from '../../../engine/src/api/protocol';
import { type FromRunner, type ModelChoice, RUNNER_VIEW_ID, type RunRequest, type ToRunner } from '../../../webview/src/runner/protocol';
import type { EngineClient } from '../engine/client';
import { CancelledError } from '../engine/process';
import { readSettings, resultsFolder } from '../settings';
import { webviewHtml, webviewOptions } from '../webviews/html';

const BODY = `
<h2>Run</h2>
<label for="runnable">Suite or study</label>
<vscode-single-select id="runnable"></vscode-single-select>
<div id="no-runnables" class="hint" hidden>No benchmark suites or studies are available in this build.</div>
<div id="description"></div>
<label>Models</label>
<div id="models"></div>
<label for="lengths">Lengths</label>
<vscode-textfield id="lengths" placeholder="2, 4, 8"></vscode-textfield>
<label for="samples">Samples per point</label>
<vscode-textfield id="samples" type="number" value="20"></vscode-textfield>
<div class="row">
  <vscode-button id="run">Run</vscode-button>
  <vscode-button id="cancel" secondary hidden>Cancel</vscode-button>
</div>
<vscode-progress-bar id="progress" hidden></vscode-progress-bar>
<div id="status"></div>
<h2>Results</h2>
<div id="results-dir"></div>
<div id="no-results" class="hint">No finished runs in this folder yet.</div>
<ul id="results"></ul>
<vscode-button id="refresh" secondary>Refresh</vscode-button>
<div id="chart-title"></div>
<canvas id="chart" height="220"></canvas>`;

export class RunnerView implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | undefined;
  private running: vscode.CancellationTokenSource | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly engine: EngineClient,
  ) {
    context.subscriptions.push(vscode.window.registerWebviewViewProvider(RUNNER_VIEW_ID, this));
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    view.webview.options = webviewOptions(this.context.extensionUri);
    view.webview.html = webviewHtml(view.webview, this.context.extensionUri, { bundle: 'runner', title: 'Introspect runner', body: BODY });
    const sub = view.webview.onDidReceiveMessage((m: FromRunner) => this.onMessage(m));
    view.onDidDispose(() => {
      sub.dispose();
      this.view = undefined;
    });
  }

  /** Runs a suite or study under a progress notification and shows the result in the view. */
  async run(request: RunRequest): Promise<RunSummary[] | undefined> {
    const s = readSettings();
    const source = new vscode.CancellationTokenSource();
    this.running = source; // the view's Cancel button
    try {
      const runs = await this.engine.withProgress(`Introspect: running ${request.id}`, async (token, progressToken) => {
        const cancelled = token.onCancellationRequested(() => source.cancel()); // the notification's Cancel button
        const relay = this.engine.onProgress(progressToken, (p) => this.send({ type: 'progress', done: p.done, total: p.total, message: p.message }));
        try {
          const params = { ...request, resultsDir: resultsFolder(s, this.context), device: s.device, dtype: s.dtype, batchSize: s.batchSize, progressToken };
          return await this.engine.request(benchRunRequest, params, source.token);
        } finally {
          relay.dispose();
          cancelled.dispose();
        }
      });
      this.send({ type: 'finished', runs, results: await this.results() });
      return runs;
    } catch (err) {
      const message = err instanceof CancelledError ? 'Cancelled.' : (err as Error).message;
      this.send({ type: 'failed', message });
      if (!(err instanceof CancelledError)) void vscode.window.showErrorMessage(`Introspect: ${message}`);
      return undefined;
    } finally {
      source.dispose();
      this.running = undefined;
    }
  }

  private async onMessage(m: FromRunner): Promise<void> {
    switch (m.type) {
      case 'ready':
      case 'refresh':
        await this.init();
        break;
      case 'run':
        await this.run(m.request);
        break;
      case 'cancel':
        this.running?.cancel();
        break;
    }
  }

  private async init(): Promise<void> {
    const s = readSettings();
    const [catalog, results] = await Promise.all([this.engine.request(listRunnablesRequest), this.results()]);
    const models = [...modelChoices(s.model, s.modelFolders), ...catalog.referenceModels.map((name) => ({ dir: name, name: `${name} (reference)`, checked: false }))];
    this.send({ type: 'init', runnables: catalog.runnables, models, resultsDir: resultsFolder(s, this.context), results });
  }

  private results(): Promise<RunSummary[]> {
    return this.engine.request(listResultsRequest, { resultsDir: resultsFolder(readSettings(), this.context) });
  }

  private send(m: ToRunner): void {
    void this.view?.webview.postMessage(m);
  }
}

function modelChoices(model: string, folders: string[]): ModelChoice[] {
  const dirs = [...new Set([model, ...folders].filter(Boolean))];
  return dirs.map((dir, i) => ({ dir, name: dir.split(/[\\/]/).filter(Boolean).pop() ?? dir, checked: i === 0 }));
}
