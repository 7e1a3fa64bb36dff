/**
 * The experiment runner in the side bar (a webview view): lists suites, studies, models and past
 * results, launches runs and studies in the engine with progress and cancellation — or sends them
 * to Slurm and follows their shards — shows suite summaries, and opens studies in their results
 * panel (resuming unfinished ones).
 */
import * as vscode from 'vscode';
import {
  benchResumeRequest,
  benchRunRequest,
  benchSubmitRequest,
  listResultsRequest,
  listRunnablesRequest,
  listStudiesRequest,
  type ProgressParams,
  seriesInfoRequest,
  type RunSummary,
  slurmResubmitRequest,
  studyCreateRequest,
  studyRunRequest,
  studySubmitRequest,
} from '../../../engine/src/api/protocol';
import type { SlurmSubmitted } from '../../../engine/src/api/slurm';
import type { StudyChoice } from '../../../engine/src/api/studies';
import { type BrowseField, FromRunner, type ModelChoice, type ResultsList, RUNNER_VIEW_ID, type RunRequest, type ToRunner } from '../../../webview/src/runner/protocol';
import type { EngineClient } from '../engine/client';
import { CancelledError } from '../engine/process';
import { readSettings, resultsFolder } from '../settings';
import type { StudyPanels } from '../study/panel';
import { failureMessage, followSlurm } from './slurm';
import { webviewHtml, webviewOptions } from '../webviews/html';
import { onMessage } from '../webviews/messages';

const BODY = `
<h2>Run</h2>
<label for="runnable">Suite or study</label>
<vscode-single-select id="runnable"></vscode-single-select>
<div id="no-runnables" class="hint" hidden>No benchmark suites or studies are available in this build.</div>
<div id="description"></div>
<div id="suite-form">
  <label>Models</label>
  <div id="models"></div>
  <label for="lengths">Lengths</label>
  <vscode-textfield id="lengths" placeholder="2, 4, 8"></vscode-textfield>
  <label for="samples">Samples per point</label>
  <vscode-textfield id="samples" type="number" value="20"></vscode-textfield>
</div>
<div id="study-form" hidden>
  <label for="series">Checkpoint series</label>
  <div class="row"><vscode-textfield id="series" placeholder="a folder of step-N/ checkpoints"></vscode-textfield><vscode-button id="browse-series" secondary>Browse…</vscode-button></div>
  <div id="series-hint" class="hint"></div>
  <label for="data">Data</label>
  <div class="row"><vscode-textfield id="data"></vscode-textfield><vscode-button id="browse-data" secondary>File…</vscode-button></div>
  <div id="data-hint" class="hint"></div>
  <label for="pairs">Pairs generated</label>
  <vscode-textfield id="pairs" type="number"></vscode-textfield>
  <div id="sampler-fields">
    <div id="components-row" hidden>
      <label for="components">Components</label>
      <vscode-textfield id="components" placeholder="heads, mlp, attn, layers, embed, unembed, l0.h1, …"></vscode-textfield>
      <div class="hint">Each gets its own SGLD run, after one of the whole model.</div>
    </div>
    <label for="sampler">Sampler</label>
    <vscode-single-select id="sampler"><vscode-option value="rmsprop-sgld">RMSProp-SGLD</vscode-option><vscode-option value="sgld">SGLD</vscode-option></vscode-single-select>
    <div class="row">
      <div><label for="chains">Chains</label><vscode-textfield id="chains" type="number"></vscode-textfield></div>
      <div><label for="draws">Draws</label><vscode-textfield id="draws" type="number"></vscode-textfield></div>
    </div>
    <div class="row">
      <div><label for="epsilon">Step size ε</label><vscode-textfield id="epsilon"></vscode-textfield></div>
      <div><label for="nbeta">nβ</label><vscode-textfield id="nbeta" placeholder="batch / ln batch"></vscode-textfield></div>
      <div><label for="gamma">γ</label><vscode-textfield id="gamma"></vscode-textfield></div>
    </div>
    <div id="restrict-row">
      <label for="restrict">Weights sampled</label>
      <vscode-textfield id="restrict" placeholder="full, l0, l0.attn, l0.mlp, l0.h1, embed, unembed"></vscode-textfield>
    </div>
  </div>
  <div id="emergence-fields" hidden>
    <label for="hook">Hook point</label>
    <vscode-single-select id="hook"></vscode-single-select>
    <label for="positions">Tokens</label>
    <vscode-single-select id="positions"><vscode-option value="claim">the claimed value</vscode-option><vscode-option value="last">the last token</vscode-option><vscode-option value="all">every token</vscode-option></vscode-single-select>
    <div class="row">
      <div><label for="sae-kind">SAE</label><vscode-single-select id="sae-kind"><vscode-option value="relu">ReLU (L1)</vscode-option><vscode-option value="topk">TopK</vscode-option></vscode-single-select></div>
      <div><label for="latents">Latents</label><vscode-textfield id="latents" type="number"></vscode-textfield></div>
    </div>
    <div class="row">
      <div><label for="k">k (TopK)</label><vscode-textfield id="k" type="number"></vscode-textfield></div>
      <div><label for="l1">λ (ReLU)</label><vscode-textfield id="l1"></vscode-textfield></div>
      <div><label for="sae-steps">SAE steps</label><vscode-textfield id="sae-steps" type="number"></vscode-textfield></div>
    </div>
    <vscode-checkbox id="warm-start" label="Start each checkpoint's SAE from the previous one's"></vscode-checkbox>
  </div>
</div>
<div id="slurm-row" hidden>
  <vscode-checkbox id="slurm" label="Submit to Slurm"></vscode-checkbox>
  <div class="hint">As a Slurm job array, a shard per model × length (a study: per checkpoint, or checkpoint × chain), then a merge job. Partition and resources: the introspect.slurm settings.</div>
</div>
<div class="row">
  <vscode-button id="run">Run</vscode-button>
  <vscode-button id="cancel" secondary hidden>Cancel</vscode-button>
</div>
<vscode-progress-bar id="progress" hidden></vscode-progress-bar>
<div id="status"></div>
<h2>Results</h2>
<div id="results-dir"></div>
<div id="no-results" class="hint">No runs or studies in this folder yet.</div>
<ul id="results"></ul>
<vscode-button id="refresh" secondary>Refresh</vscode-button>
<div id="chart-title"></div>
<canvas id="chart" height="220"></canvas>`;

export class RunnerView implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | undefined;
  private running: vscode.CancellationTokenSource | undefined;
  private referenceModels: string[] = [];
  /** What the running job says in the panel, for a panel that opens while it runs. */
  private runningMessage = '';

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly engine: EngineClient,
    private readonly studies: StudyPanels,
  ) {
    context.subscriptions.push(
      vscode.window.registerWebviewViewProvider(RUNNER_VIEW_ID, this),
      // Choose Model (or a settings edit) changes what the Models list should offer.
      engine.onModelChanged(() => this.send({ type: 'models', models: this.models() })),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    view.webview.options = webviewOptions(this.context.extensionUri);
    view.webview.html = webviewHtml(view.webview, this.context.extensionUri, { bundle: 'runner', title: 'Introspect runner', body: BODY });
    const sub = onMessage(view.webview, FromRunner, this.engine, (m) => this.onMessage(m));
    view.onDidDispose(() => {
      sub.dispose();
      this.view = undefined;
    });
  }

  /** Runs a suite under a progress notification (or sends it to Slurm and follows it) and shows the result in the view. */
  run(request: RunRequest, slurm = false): Promise<RunSummary[] | undefined> {
    const s = readSettings();
    if (slurm) {
      const params = { ...request, resultsDir: resultsFolder(s, this.context), device: s.device, dtype: s.dtype, batchSize: s.batchSize, slurm: s.slurm };
      return this.submitAndFollow(`Introspect: ${request.id} on Slurm`, () => this.engine.request(benchSubmitRequest, params));
    }
    return this.track(`Introspect: running ${request.id}`, (token, progressToken) =>
      this.engine.request(
        benchRunRequest,
        { ...request, resultsDir: resultsFolder(s, this.context), device: s.device, dtype: s.dtype, batchSize: s.batchSize, progressToken },
        token,
      ),
    );
  }

  /** Finishes an unfinished benchmark run folder. */
  resumeRun(dir: string): Promise<RunSummary[] | undefined> {
    const s = readSettings();
    return this.track('Introspect: resuming the run', (token, progressToken) => this.engine.request(benchResumeRequest, { dir, device: s.device, dtype: s.dtype, progressToken }, token));
  }

  /** Starts a study in a new folder of the results folder (here, or on Slurm), its results panel open beside. */
  async runStudy(study: StudyChoice, slurm = false): Promise<void> {
    try {
      const s = readSettings();
      const { dir } = await this.engine.request(studyCreateRequest, { ...study, resultsDir: resultsFolder(s, this.context) });
      if (slurm) {
        this.studies.show(dir);
        await this.submitAndFollow(`Introspect: ${study.id} study on Slurm`, () => this.engine.request(studySubmitRequest, { dir, device: s.device, slurm: s.slurm }));
        return;
      }
      await this.runStudyDir(dir, `Introspect: ${study.id} study`);
    } catch (err) {
      this.fail(err);
    }
  }

  /** Runs (or resumes) the study in `dir` to the end. */
  async runStudyDir(dir: string, title = 'Introspect: resuming the study'): Promise<void> {
    this.studies.show(dir);
    await this.track(title, (token, progressToken) => this.engine.request(studyRunRequest, { dir, device: readSettings().device, progressToken }, token).then(() => []));
  }

  /** Submits a run to Slurm, then follows its shards until its merge is done. */
  private submitAndFollow(title: string, submit: () => Promise<SlurmSubmitted>): Promise<RunSummary[] | undefined> {
    return this.track(title, async (token, _progressToken, report) => {
      report({ done: 0, total: 1, message: 'submitting to Slurm …' });
      const r = await submit();
      return this.follow(r.anchor, token, report);
    });
  }

  /** Follows a run sent to Slurm (from the results list too); the view's Cancel stops following, not the jobs. */
  watchSlurm(dir: string): Promise<RunSummary[] | undefined> {
    return this.track('Introspect: following a Slurm run', (token, _progressToken, report) => this.follow(dir, token, report));
  }

  private async follow(dir: string, token: vscode.CancellationToken, report: (p: Omit<ProgressParams, 'token'>) => void): Promise<RunSummary[]> {
    const outcome = await followSlurm(this.engine, dir, token, report);
    if (outcome.kind === 'stopped') throw new StoppedFollowing();
    if (outcome.kind === 'failed') {
      const { message, log } = failureMessage(outcome.status);
      const anchor = outcome.status.anchor;
      void vscode.window.showErrorMessage(`Introspect: ${message}`, 'Resubmit', ...(log ? ['Open Log'] : [])).then(async (choice) => {
        if (choice === 'Open Log' && log) await vscode.window.showTextDocument(vscode.Uri.file(log));
        if (choice === 'Resubmit') await this.submitAndFollow('Introspect: resubmitting to Slurm', () => this.engine.request(slurmResubmitRequest, { dir: anchor, slurm: readSettings().slurm }));
      });
      throw new SlurmRunFailed(message);
    }
    // The run folders in the plan's order (a suite's experiments as listed).
    const { runs } = await this.results();
    return outcome.status.dirs.flatMap((d) => runs.filter((r) => r.dir === d));
  }

  /** Runs a request under a progress notification with the view's progress bar and Cancel button too. */
  private async track(
    title: string,
    work: (token: vscode.CancellationToken, progressToken: string, report: (p: Omit<ProgressParams, 'token'>) => void) => Promise<RunSummary[]>,
  ): Promise<RunSummary[] | undefined> {
    const source = new vscode.CancellationTokenSource();
    this.running = source; // the view's Cancel button
    this.runningMessage = `${title.replace(/^Introspect: /, '')} …`;
    this.send({ type: 'started', message: this.runningMessage });
    try {
      const runs = await this.engine.withProgress(title, async (token, progressToken, report) => {
        const cancelled = token.onCancellationRequested(() => source.cancel()); // the notification's Cancel button
        const toView = (p: Omit<ProgressParams, 'token'>) => this.send({ type: 'progress', done: p.done, total: p.total, message: p.message });
        const relay = this.engine.onProgress(progressToken, toView);
        try {
          return await work(source.token, progressToken, (p) => (report(p), toView(p)));
        } finally {
          relay.dispose();
          cancelled.dispose();
        }
      });
      this.send({ type: 'finished', written: runs, ...(await this.results()) });
      return runs;
    } catch (err) {
      this.fail(err);
      // A cancelled study is listed now, unfinished, with its Resume link.
      this.send({ type: 'results', ...(await this.results()) });
      return undefined;
    } finally {
      source.dispose();
      this.running = undefined;
    }
  }

  private fail(err: unknown): void {
    const message = err instanceof CancelledError ? 'Cancelled.' : (err as Error).message;
    this.send({ type: 'failed', message });
    // A failed Slurm run has shown its own error, with its buttons.
    if (!(err instanceof CancelledError || err instanceof StoppedFollowing || err instanceof SlurmRunFailed)) void vscode.window.showErrorMessage(`Introspect: ${message}`);
  }

  private async onMessage(m: FromRunner): Promise<void> {
    switch (m.type) {
      case 'ready':
      case 'refresh':
        this.send({ type: 'init', ...(await this.catalog()) });
        // A run started from the command palette before the panel was open: show its Cancel.
        if (this.running) this.send({ type: 'started', message: this.runningMessage });
        break;
      case 'run':
        await this.run(m.request, m.slurm);
        break;
      case 'runStudy':
        await this.runStudy(m.study, m.slurm);
        break;
      case 'seriesInfo':
        try {
          this.send({ type: 'seriesInfo', series: m.series, info: await this.engine.request(seriesInfoRequest, { series: m.series }) });
        } catch (err) {
          this.send({ type: 'seriesInfo', series: m.series, error: (err as Error).message });
        }
        break;
      case 'watchSlurm':
        await this.watchSlurm(m.dir);
        break;
      case 'resumeStudy':
        await this.runStudyDir(m.dir);
        break;
      case 'resumeRun':
        await this.resumeRun(m.dir);
        break;
      case 'openStudy':
        this.studies.show(m.dir);
        break;
      case 'browse':
        await this.browse(m.field);
        break;
      case 'cancel':
        this.running?.cancel();
        break;
    }
  }

  private async browse(field: BrowseField): Promise<void> {
    const picked = await vscode.window.showOpenDialog(
      field === 'series'
        ? { canSelectFolders: true, canSelectFiles: true, filters: { 'Series list': ['json'] }, title: 'A folder of step-N/ checkpoints (or a JSON list of them)' }
        : { canSelectFiles: true, filters: { 'JSON lines': ['jsonl', 'json'] }, title: 'Study samples: {"text", "group"} per line' },
    );
    if (picked?.[0]) this.send({ type: 'chosen', field, path: picked[0].fsPath });
  }

  private async catalog() {
    const s = readSettings();
    const [catalog, results] = await Promise.all([this.engine.request(listRunnablesRequest), this.results()]);
    this.referenceModels = catalog.referenceModels;
    return { runnables: catalog.runnables, models: this.models(), resultsDir: resultsFolder(s, this.context), slurm: catalog.slurm, ...results };
  }

  /** The model the engine has loaded (the embedded one when none is set), the settings' folders, the reference models. */
  private models(): ModelChoice[] {
    const s = readSettings();
    const loaded = this.engine.model?.dir ?? s.model;
    return [...modelChoices(loaded, s.modelFolders), ...this.referenceModels.map((name) => ({ dir: name, name: `${name} (reference)`, checked: false }))];
  }

  private async results(): Promise<ResultsList> {
    const resultsDir = resultsFolder(readSettings(), this.context);
    const [runs, studies] = await Promise.all([this.engine.request(listResultsRequest, { resultsDir }), this.engine.request(listStudiesRequest, { resultsDir })]);
    return { runs, studies };
  }

  private send(m: ToRunner): void {
    void this.view?.webview.postMessage(m);
  }
}

class StoppedFollowing extends Error {
  constructor() {
    super('Stopped following the Slurm run; its jobs keep running (Watch it again from Results).');
  }
}

class SlurmRunFailed extends Error {}

function modelChoices(model: string, folders: string[]): ModelChoice[] {
  const dirs = [...new Set([model, ...folders].filter(Boolean))];
  return dirs.map((dir, i) => ({ dir, name: dir.split(/[\\/]/).filter(Boolean).pop() ?? dir, checked: i === 0 }));
}
