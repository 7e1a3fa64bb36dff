/**
 * A study's results panel: the mean BIF between sample groups and the LLC over training steps
 * (chart.js), and one checkpoint's BIF matrix between samples. Everything it knows comes in
 * messages (./protocol.ts); it asks the extension for a checkpoint's matrix when one is chosen.
 */
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import {
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Title,
  Tooltip,
  type TooltipItem,
} from 'chart.js';
import { MatrixController, MatrixElement } from 'chartjs-chart-matrix';
import type { StudyMatrix, StudyMatrixParams } from '../../../engine/src/api/protocol';
import type { InfluenceSummary } from '../../../engine/src/studies/influence';
import { type Curve, bifCurves, llcCurve, logSteps, observablesOf } from './curves';
import type { FromStudy, StudyState, ToStudy } from './protocol';
import './style.css';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, CategoryScale, Filler, Legend, Tooltip, Title, MatrixController, MatrixElement);

const vscode = acquireVsCodeApi<StudyState>();
const post = (m: FromStudy) => vscode.postMessage(m);
const $ = <T extends HTMLElement = HTMLElement & { value: string }>(id: string) => document.getElementById(id) as T;
const PALETTE = ['#4e79a7', '#e15759', '#59a14f', '#f28e2b', '#b07aa1', '#76b7b2'];

let summary: InfluenceSummary | undefined;
/** The losses shown: `claim` or `sequence` (what the summary has). */
let observable = '' as StudyMatrixParams['observable'];
let step: number | undefined;
const charts = new Map<string, Chart>();

function fillSelect(id: string, options: [string, string][], value: string): void {
  const el = $(id);
  el.replaceChildren(
    ...options.map(([v, label]) => {
      const o = document.createElement('vscode-option');
      o.setAttribute('value', v);
      o.textContent = label;
      return o;
    }),
  );
  el.value = value;
}

function lineChart(id: string, curves: Curve[], yTitle: string, log: boolean): void {
  charts.get(id)?.destroy();
  const keep = (c: Curve) => c.points.filter((p) => !log || p.x > 0);
  const datasets = curves.flatMap((c, i) => {
    const color = PALETTE[i % PALETTE.length];
    const pts = keep(c);
    return [
      { label: c.name, data: pts.map((p) => ({ x: p.x, y: p.y })), borderColor: color, backgroundColor: color, pointRadius: 3 },
      // The ± std band: its lower edge, then the upper edge filled down to it.
      { label: `${c.name} −`, data: pts.map((p) => ({ x: p.x, y: p.lo })), borderWidth: 0, pointRadius: 0, fill: false },
      { label: `${c.name} +`, data: pts.map((p) => ({ x: p.x, y: p.hi })), borderWidth: 0, pointRadius: 0, fill: '-1', backgroundColor: `${color}33` },
    ];
  });
  charts.set(
    id,
    new Chart($(id) as HTMLCanvasElement, {
      type: 'line',
      data: { datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: {
          x: { type: log ? 'logarithmic' : 'linear', title: { display: true, text: log ? 'training step (log; step 0 not shown)' : 'training step' } },
          y: { title: { display: true, text: yTitle } },
        },
        plugins: { legend: { labels: { filter: (item) => !/ [−+]$/.test(item.text) } } },
      },
    }),
  );
}

function render(): void {
  if (!summary) return;
  const s = summary;
  const o = s.settings.sampling;
  $('title').textContent = `Influence study — ${s.series}`;
  $('meta').textContent =
    `${s.rows.length}/${s.planned.length} checkpoints${s.finished ? '' : ' (running or unfinished)'} · data ${s.settings.data} · ` +
    `${o.sampler}, ε ${o.epsilon}, nβ ${o.nbeta ?? 'batch/ln batch'}, γ ${o.gamma}, ${o.chains} chains × ${o.draws} draws · restrict ${o.restrict}`;
  $('empty').hidden = s.rows.length > 0;
  if (!s.rows.length) return;
  const observables = observablesOf(s);
  if (!observables.includes(observable)) observable = observables[0] as StudyMatrixParams['observable'];
  fillSelect('observable', observables.map((k) => [k, k === 'claim' ? 'claim (the claimed value)' : 'sequence (whole sample)']), observable);
  const log = logSteps(s);
  lineChart('bif-chart', bifCurves(s, observable), 'mean BIF = −Cov (band: ± std over chains)', log);
  lineChart('llc-chart', [llcCurve(s)], 'λ̂ (band: ± std over chains)', log);
  const steps = s.rows.map((r) => r.step);
  if (step === undefined || !steps.includes(step)) step = steps[steps.length - 1];
  fillSelect('step', steps.map((x) => [String(x), `step ${x}`]), String(step));
  $('events').textContent = s.events
    .filter((e) => e.observable === observable)
    .map((e) => `${e.block}: ${e.kind} at step ${e.step} (${e.value.toExponential(2)})`)
    .join('\n');
  post({ type: 'matrix', step, observable });
}

function drawMatrix(m: StudyMatrix): void {
  const n = m.samples.length;
  const groups = [...new Set(m.samples.map((x) => x.group))];
  const order = m.samples.map((_, i) => i).sort((a, b) => groups.indexOf(m.samples[a].group) - groups.indexOf(m.samples[b].group) || (m.samples[a].pair ?? a) - (m.samples[b].pair ?? b));
  const label = (i: number) => `${m.samples[i].group[0]}${m.samples[i].pair ?? i}`;
  const labels = order.map(label);
  const data = order.flatMap((i, r) => order.map((j, c) => ({ x: labels[c], y: labels[r], v: i === j ? NaN : m.bif[i * n + j], i, j })));
  const max = Math.max(1e-12, ...data.map((d) => Math.abs(d.v)).filter(Number.isFinite));
  const color = (v: number) => {
    if (!Number.isFinite(v)) return 'rgba(128,128,128,0.3)';
    const t = Math.min(1, Math.abs(v) / max);
    const [r, g, b] = v >= 0 ? [200, 50, 48] : [49, 104, 178];
    const mix = (x: number) => Math.round(247 + (x - 247) * t);
    return `rgb(${mix(r)},${mix(g)},${mix(b)})`;
  };
  charts.get('matrix')?.destroy();
  charts.set(
    'matrix',
    new Chart($('matrix') as HTMLCanvasElement, {
      type: 'matrix',
      data: {
        datasets: [
          {
            label: 'BIF',
            data,
            backgroundColor: (ctx) => color((ctx.raw as { v: number } | undefined)?.v ?? NaN),
            width: ({ chart: c }) => (c.chartArea?.width ?? 0) / n,
            height: ({ chart: c }) => (c.chartArea?.height ?? 0) / n,
          },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: {
          x: { type: 'category', labels, offset: true, grid: { display: false }, ticks: { autoSkip: true, maxRotation: 90 } },
          y: { type: 'category', labels, offset: true, reverse: true, grid: { display: false }, ticks: { autoSkip: true } },
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: (items: TooltipItem<'matrix'>[]) => {
                const r = items[0].raw as { i: number; j: number };
                return `${label(r.i)} ↔ ${label(r.j)}`;
              },
              label: (item: TooltipItem<'matrix'>) => {
                const r = item.raw as { i: number; j: number; v: number };
                const tail = (k: number) => JSON.stringify(m.samples[k].text.slice(-24));
                return [`BIF ${r.v.toExponential(3)}`, `${m.samples[r.i].group}: …${tail(r.i)}`, `${m.samples[r.j].group}: …${tail(r.j)}`];
              },
            },
          },
        },
      },
    }),
  );
  $('matrix-legend').textContent = `Red: BIF > 0 (losses move oppositely); blue: BIF < 0 (they move together); ±${max.toExponential(2)} at full colour. Samples ordered by group, then pair; the diagonal (self-influence) is grey.`;
}

window.addEventListener('message', (e: MessageEvent<ToStudy>) => {
  const m = e.data;
  switch (m.type) {
    case 'summary':
      vscode.setState({ dir: m.dir });
      summary = m.summary;
      $('status').textContent = '';
      render();
      break;
    case 'matrix':
      if (m.step === step && m.observable === observable) drawMatrix(m.matrix);
      break;
    case 'error':
      $('status').textContent = m.message;
      break;
  }
});

$('observable').addEventListener('change', () => {
  observable = $('observable').value as StudyMatrixParams['observable'];
  render();
});
$('step').addEventListener('change', () => {
  step = Number($('step').value);
  post({ type: 'matrix', step, observable });
});
post({ type: 'ready' });
