/**
 * The experiment-runner side panel: pick a suite or study, models, lengths and samples; launch;
 * follow progress; see accuracy against length when done; open past runs from the results folder.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Title, Tooltip } from 'chart.js';
import type { RunnableInfo, RunSummary } from '../../../engine/src/api/protocol';
import { accuracySeries } from './series';
import type { FromRunner, ModelChoice, ToRunner } from './protocol';
import './style.css';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Legend, Tooltip, Title);

const vscode = acquireVsCodeApi();
const post = (m: FromRunner) => vscode.postMessage(m);
const $ = <T extends HTMLElement = HTMLElement & { value: string; disabled: boolean }>(id: string) => document.getElementById(id) as T;

let runnables: RunnableInfo[] = [];
let chart: Chart<'line'> | undefined;
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7'];

function option(value: string, label: string): HTMLElement {
  const o = document.createElement('vscode-option');
  o.setAttribute('value', value);
  o.textContent = label;
  return o;
}

function setRunnables(list: RunnableInfo[]): void {
  runnables = list;
  const select = $('runnable');
  select.replaceChildren(...list.map((r) => option(`${r.kind}:${r.id}`, `${r.kind === 'suite' ? 'Suite' : 'Study'}: ${r.id}`)));
  const none = list.length === 0;
  $('no-runnables').hidden = !none;
  $('run').disabled = none;
  if (!none) {
    // The select's value reads back only after its options render, so describe the first directly.
    select.value = `${list[0].kind}:${list[0].id}`;
    describe(list[0]);
  }
}

function onRunnableChange(): void {
  const r = runnables.find((x) => `${x.kind}:${x.id}` === $('runnable').value);
  if (r) describe(r);
}

function describe(r: RunnableInfo): void {
  $('description').textContent = `${r.description} Runs: ${r.experiments.join(', ')}.`;
  $('lengths').value = r.defaultLengths.join(', ');
}

function setModels(models: ModelChoice[]): void {
  $('models').replaceChildren(
    ...models.map((m) => {
      const c = document.createElement('vscode-checkbox') as HTMLElement & { checked: boolean };
      c.setAttribute('label', m.name);
      c.dataset.dir = m.dir;
      c.title = m.dir;
      c.checked = m.checked;
      return c;
    }),
  );
  if (models.length === 0) $('models').textContent = 'No models: choose one with "Introspect: Choose Model" or list folders in the introspect.modelFolders setting.';
}

function setResults(results: RunSummary[], resultsDir: string | undefined): void {
  if (resultsDir) $('results-dir').textContent = resultsDir;
  const list = $('results');
  list.replaceChildren(
    ...results.map((r) => {
      const li = document.createElement('li');
      const a = document.createElement('a');
      a.href = '#';
      a.textContent = `${r.experiment} — ${new Date(r.startedAt).toLocaleString()}${r.finished ? '' : ' (unfinished)'}`;
      a.title = r.dir;
      a.addEventListener('click', (e) => {
        e.preventDefault();
        showSummary(r);
      });
      li.append(a);
      return li;
    }),
  );
  $('no-results').hidden = results.length > 0;
}

function showSummary(s: RunSummary): void {
  $('chart-title').textContent = `${s.experiment}: accuracy by length (n = ${s.n} per point)`;
  const series = accuracySeries(s);
  chart?.destroy();
  chart = new Chart($('chart') as HTMLCanvasElement, {
    type: 'line',
    data: {
      labels: series.lengths.map(String),
      datasets: series.models.map((m, i) => ({
        label: m.name,
        data: m.accuracy,
        borderColor: PALETTE[i % PALETTE.length],
        backgroundColor: PALETTE[i % PALETTE.length],
        spanGaps: true,
      })),
    },
    options: {
      animation: false,
      scales: { y: { min: 0, max: 1, title: { display: true, text: 'accuracy' } }, x: { title: { display: true, text: 'length' } } },
    },
  });
}

function collectRequest(): FromRunner | undefined {
  const [kind, ...rest] = $('runnable').value.split(':');
  const models = Array.from($('models').querySelectorAll<HTMLElement & { checked: boolean }>('vscode-checkbox')).filter((c) => c.checked).map((c) => c.dataset.dir!);
  const lengths = $('lengths').value.split(/[\s,]+/).filter(Boolean).map(Number);
  const n = Number($('samples').value);
  const problems = [
    models.length === 0 ? 'pick at least one model' : '',
    lengths.length === 0 || lengths.some((l) => !Number.isInteger(l) || l < 1) ? 'lengths must be positive whole numbers' : '',
    !Number.isInteger(n) || n < 1 ? 'samples must be a positive whole number' : '',
  ].filter(Boolean);
  if (problems.length) {
    $('status').textContent = `Cannot run: ${problems.join('; ')}.`;
    return undefined;
  }
  return { type: 'run', request: { kind: kind as 'suite' | 'study', id: rest.join(':'), models, lengths, n } };
}

window.addEventListener('message', (e: MessageEvent<ToRunner>) => {
  const m = e.data;
  const progress = $<HTMLElement & { value: number; max: number; hidden: boolean }>('progress');
  switch (m.type) {
    case 'init':
      setRunnables(m.runnables);
      setModels(m.models);
      setResults(m.results, m.resultsDir);
      if (m.results[0]) showSummary(m.results[0]);
      break;
    case 'progress':
      progress.hidden = false;
      progress.max = m.total;
      progress.value = m.done;
      $('status').textContent = `${m.done}/${m.total}${m.message ? ` — ${m.message}` : ''}`;
      break;
    case 'finished':
      progress.hidden = true;
      $('run').disabled = false;
      $('cancel').hidden = true;
      $('status').textContent = `Finished: ${m.runs.map((r) => r.experiment).join(', ')}.`;
      setResults(m.results, undefined);
      if (m.runs[0]) showSummary(m.runs[0]);
      break;
    case 'failed':
      progress.hidden = true;
      $('run').disabled = runnables.length === 0;
      $('cancel').hidden = true;
      $('status').textContent = m.message;
      break;
  }
});

$('runnable').addEventListener('change', onRunnableChange);
$('run').addEventListener('click', () => {
  const msg = collectRequest();
  if (!msg) return;
  $('run').disabled = true;
  $('cancel').hidden = false;
  $('status').textContent = 'Starting …';
  post(msg);
});
$('cancel').addEventListener('click', () => post({ type: 'cancel' }));
$('refresh').addEventListener('click', () => post({ type: 'refresh' }));
post({ type: 'ready' });
