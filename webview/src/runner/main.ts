/**
 * The experiment-runner side panel: pick a suite (models, lengths, samples) or a study (a
 * checkpoint series, data, and the study's own settings: the sampler's, or the SAE's and its hook
 * point, picked from the series' hook points); launch; follow progress; see a suite's accuracy
 * against length when done; open past runs and studies from the results folder, resume unfinished
 * ones, follow those sent to Slurm.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Title, Tooltip } from 'chart.js';
import type { RunnableInfo, RunSummary, SeriesInfo, StudyDefaults, StudyRunInfo } from '../../../engine/src/api/protocol';
import type { EmergenceSettings, InfluenceSettings, StudyChoice } from '../../../engine/src/api/studies';
import { accuracySeries } from './series';
import type { FromRunner, ModelChoice, ResultsList, ToRunner } from './protocol';
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

function selected(): RunnableInfo | undefined {
  return runnables.find((x) => `${x.kind}:${x.id}` === $('runnable').value);
}

function onRunnableChange(): void {
  const r = selected();
  if (r) describe(r);
}

function describe(r: RunnableInfo): void {
  const study = r.kind === 'study';
  $('suite-form').hidden = study;
  $('study-form').hidden = !study;
  $('description').textContent = study ? r.description : `${r.description} Runs: ${r.experiments.join(', ')}.`;
  if (!study) {
    $('lengths').value = r.defaultLengths.join(', ');
    return;
  }
  const d = r.studyDefaults!;
  $('sampler-fields').hidden = !('sampling' in d);
  $('restrict-row').hidden = 'components' in d;
  $('components-row').hidden = !('components' in d);
  $('emergence-fields').hidden = !('sae' in d);
  $('series').value = d.series ?? '';
  $('data').value = d.data;
  $('data-hint').textContent = `${r.studyData?.join(', ')}, or a .jsonl file of {"text", "group"} lines`;
  $('pairs').value = String(d.pairs);
  if ('sampling' in d) {
    const o = d.sampling;
    $('sampler').value = o.sampler;
    for (const [id, v] of [['chains', o.chains], ['draws', o.draws], ['epsilon', o.epsilon], ['gamma', o.gamma]] as const) $(id).value = String(v);
    $('nbeta').value = o.nbeta === undefined ? '' : String(o.nbeta);
    $('restrict').value = o.restrict;
    if ('components' in d) $('components').value = d.components;
  } else {
    const o = d.sae;
    $('positions').value = d.positions;
    $('sae-kind').value = o.kind;
    for (const [id, v] of [['latents', o.latents], ['k', o.k], ['l1', o.l1], ['sae-steps', o.steps]] as const) $(id).value = String(v);
    $<HTMLElement & { checked: boolean }>('warm-start').checked = o.warmStart;
    askSeries();
  }
}

/** The hook picker offers the series' own hook points, so the series is asked about when it changes. */
let seriesTimer: ReturnType<typeof setTimeout> | undefined;
function askSeries(): void {
  clearTimeout(seriesTimer);
  seriesTimer = setTimeout(() => {
    const series = $('series').value.trim();
    if (series && !$('emergence-fields').hidden) post({ type: 'seriesInfo', series });
  }, 300);
}

function showSeries(series: string, info: SeriesInfo | undefined, error: string | undefined): void {
  if (series !== $('series').value.trim()) return;
  $('series-hint').textContent = info ? `${info.name}: ${info.steps.length} checkpoints, steps ${info.steps[0]}–${info.steps[info.steps.length - 1]}` : `Cannot read this series: ${error}`;
  if (!info) return;
  const d = selected()?.studyDefaults;
  const current = $('hook').value;
  const wanted = info.hooks.includes(current) ? current : d && 'hook' in d && info.hooks.includes(d.hook) ? d.hook : info.hooks.filter((h) => h.endsWith('hook_resid_post')).pop()!;
  $('hook').replaceChildren(...info.hooks.map((h) => option(h, h)));
  $('hook').value = wanted;
}

function setModels(models: ModelChoice[], keepTicks = false): void {
  // Ticks the user set survive a refresh of the list; a model new to it comes with its own default.
  const ticked = new Map(Array.from($('models').querySelectorAll<HTMLElement & { checked: boolean }>('vscode-checkbox'), (c) => [c.dataset.dir!, c.checked]));
  $('models').replaceChildren(
    ...models.map((m) => {
      const c = document.createElement('vscode-checkbox') as HTMLElement & { checked: boolean };
      c.setAttribute('label', m.name);
      c.dataset.dir = m.dir;
      c.title = m.dir;
      c.checked = keepTicks && ticked.has(m.dir) ? ticked.get(m.dir)! : m.checked;
      return c;
    }),
  );
  if (models.length === 0) $('models').textContent = 'No models: choose one with "Introspect: Choose Model" or list folders in the introspect.modelFolders setting.';
}

function link(text: string, title: string, onClick: () => void): HTMLAnchorElement {
  const a = document.createElement('a');
  a.href = '#';
  a.textContent = text;
  a.title = title;
  a.addEventListener('click', (e) => {
    e.preventDefault();
    onClick();
  });
  return a;
}

/** An unfinished folder's action: follow its Slurm shards, or resume it here. */
function continueLink(li: HTMLLIElement, r: RunSummary | StudyRunInfo, resume: FromRunner): void {
  li.append(' ');
  if (r.slurm && !r.slurm.merged) {
    li.append(`(Slurm: ${r.slurm.done}/${r.slurm.shards} shards) `);
    li.append(link('Watch', `follow the Slurm jobs of ${r.dir}`, () => {
      started('Following the Slurm run …');
      post({ type: 'watchSlurm', dir: r.dir });
    }));
    return;
  }
  li.append(link('Resume', `continue ${r.dir}`, () => {
    started('Resuming …');
    post(resume);
  }));
}

function studyItem(s: StudyRunInfo): HTMLLIElement {
  const li = document.createElement('li');
  const progress = `${s.done.length}/${s.planned.length} checkpoints`;
  li.append(link(`${s.study}: ${s.series} — ${new Date(s.startedAt).toLocaleString()} (${s.finished ? progress : `unfinished, ${progress}`})`, s.dir, () => post({ type: 'openStudy', dir: s.dir })));
  if (!s.finished) continueLink(li, s, { type: 'resumeStudy', dir: s.dir });
  return li;
}

function setResults(results: ResultsList, resultsDir: string | undefined): void {
  if (resultsDir) $('results-dir').textContent = resultsDir;
  $('results').replaceChildren(
    ...results.studies.map(studyItem),
    ...results.runs.map((r) => {
      const li = document.createElement('li');
      li.append(link(`${r.experiment} — ${new Date(r.startedAt).toLocaleString()}${r.finished ? '' : ' (unfinished)'}`, r.dir, () => showSummary(r)));
      if (!r.finished) continueLink(li, r, { type: 'resumeRun', dir: r.dir });
      return li;
    }),
  );
  $('no-results').hidden = results.runs.length + results.studies.length > 0;
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
      // A little room above 1.0, so a perfect line is not drawn on the frame; ticks stop at 1.
      scales: {
        y: { min: 0, max: 1.04, ticks: { stepSize: 0.2, includeBounds: false }, title: { display: true, text: 'accuracy' } },
        x: { title: { display: true, text: 'length' } },
      },
    },
  });
}

function collectRequest(): FromRunner | undefined {
  const r = selected();
  if (!r) return undefined;
  const problems: string[] = [];
  const whole = (id: string, what: string) => {
    const n = Number($(id).value);
    if (!Number.isInteger(n) || n < 1) problems.push(`${what} must be a positive whole number`);
    return n;
  };
  if (r.kind === 'study') {
    const study = studyChoice(r.id, r.studyDefaults!, whole, problems);
    if (!study.settings.series) problems.push('choose a checkpoint series');
    if (!study.settings.data) problems.push('name the data');
    if (problems.length) return cannot(problems);
    return { type: 'runStudy', study, slurm: toSlurm() };
  }
  const models = Array.from($('models').querySelectorAll<HTMLElement & { checked: boolean }>('vscode-checkbox')).filter((c) => c.checked).map((c) => c.dataset.dir!);
  const lengths = $('lengths').value.split(/[\s,]+/).filter(Boolean).map(Number);
  if (models.length === 0) problems.push('pick at least one model');
  if (lengths.length === 0 || lengths.some((l) => !Number.isInteger(l) || l < 1)) problems.push('lengths must be positive whole numbers');
  const n = whole('samples', 'samples');
  if (problems.length) return cannot(problems);
  return { type: 'run', request: { kind: r.kind, id: r.id, models, lengths, n }, slurm: toSlurm() };
}

/** The study form's settings over the study's defaults; what is wrong goes to `problems`. */
function studyChoice(id: string, d: StudyDefaults, whole: (id: string, what: string) => number, problems: string[]): StudyChoice {
  const positive = (id: string, what: string) => {
    const x = Number($(id).value);
    if (!(x > 0)) problems.push(`${what} must be a positive number`);
    return x;
  };
  const common = { series: $('series').value.trim(), data: $('data').value.trim(), pairs: whole('pairs', 'pairs') };
  if ('sae' in d) {
    const kind = $('sae-kind').value as EmergenceSettings['sae']['kind'];
    const l1 = Number($('l1').value);
    if (!(l1 >= 0)) problems.push('λ must be a number ≥ 0');
    const settings: EmergenceSettings = {
      ...d,
      ...common,
      hook: $('hook').value || d.hook,
      positions: $('positions').value as EmergenceSettings['positions'],
      sae: { ...d.sae, kind, latents: whole('latents', 'latents'), k: whole('k', 'k'), l1, steps: whole('sae-steps', 'SAE steps'), warmStart: $<HTMLElement & { checked: boolean }>('warm-start').checked },
    };
    if (kind === 'topk' && settings.sae.k > settings.sae.latents) problems.push('k must be at most the number of latents');
    return { id: 'emergence', settings };
  }
  const nbeta = $('nbeta').value.trim();
  const gamma = Number($('gamma').value);
  if (!(gamma >= 0)) problems.push('γ must be a number ≥ 0');
  const sampling: InfluenceSettings['sampling'] = {
    ...d.sampling,
    sampler: $('sampler').value as InfluenceSettings['sampling']['sampler'],
    chains: whole('chains', 'chains'),
    draws: whole('draws', 'draws'),
    epsilon: positive('epsilon', 'ε'),
    ...(nbeta ? { nbeta: positive('nbeta', 'nβ') } : {}),
    gamma,
  };
  const samplingData = common.data === 'binding-correctness' ? 'binding' : 'study';
  if ('components' in d) {
    const components = $('components').value.trim();
    if (!components) problems.push('name the components');
    return { id: 'susceptibility', settings: { ...d, ...common, samplingData, components, sampling } };
  }
  if (id !== 'influence') problems.push(`unknown study ${id}`);
  return { id: 'influence', settings: { ...d, ...common, samplingData, sampling: { ...sampling, restrict: $('restrict').value.trim() || 'full' } } };
}

const toSlurm = () => !$('slurm-row').hidden && $<HTMLElement & { checked: boolean }>('slurm').checked;

function cannot(problems: string[]): undefined {
  $('status').textContent = `Cannot run: ${problems.join('; ')}.`;
  return undefined;
}

function started(message: string): void {
  $('run').disabled = true;
  $('cancel').hidden = false;
  $('status').textContent = message;
}

window.addEventListener('message', (e: MessageEvent<ToRunner>) => {
  const m = e.data;
  const progress = $<HTMLElement & { value: number; max: number; hidden: boolean }>('progress');
  switch (m.type) {
    case 'init':
      setRunnables(m.runnables);
      setModels(m.models);
      $('slurm-row').hidden = !m.slurm;
      setResults(m, m.resultsDir);
      if (m.runs[0]) showSummary(m.runs[0]);
      break;
    case 'models':
      setModels(m.models, true);
      break;
    case 'started':
      started(m.message);
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
      $('status').textContent = m.written.length ? `Finished: ${m.written.map((r) => r.experiment).join(', ')}.` : 'Finished.';
      setResults(m, undefined);
      if (m.written[0]) showSummary(m.written[0]);
      break;
    case 'failed':
      progress.hidden = true;
      $('run').disabled = runnables.length === 0;
      $('cancel').hidden = true;
      $('status').textContent = m.message;
      break;
    case 'results':
      setResults(m, undefined);
      break;
    case 'chosen':
      $(m.field).value = m.path;
      if (m.field === 'series') askSeries();
      break;
    case 'seriesInfo':
      showSeries(m.series, m.info, m.error);
      break;
  }
});

$('runnable').addEventListener('change', onRunnableChange);
$('run').addEventListener('click', () => {
  const msg = collectRequest();
  if (!msg) return;
  started('Starting …');
  post(msg);
});
$('series').addEventListener('input', askSeries);
$('browse-series').addEventListener('click', () => post({ type: 'browse', field: 'series' }));
$('browse-data').addEventListener('click', () => post({ type: 'browse', field: 'data' }));
$('cancel').addEventListener('click', () => post({ type: 'cancel' }));
$('refresh').addEventListener('click', () => post({ type: 'refresh' }));
post({ type: 'ready' });
