/**
 * The heatmap webview: a patching sweep's grid as a layers × tokens (or layers × heads) matrix.
 * Hover a cell for its numbers, click it for the patched run's top-k, switch metric, view and
 * intervention, export PNG or JSON. Everything it knows comes in messages (./protocol.ts).
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import { CategoryScale, Chart, type ChartEvent, Tooltip, type TooltipItem } from 'chart.js';
import { MatrixController, MatrixElement } from 'chartjs-chart-matrix';
import type { Intervention, PatchGrid } from '../../../engine/src/api/types';
import { type Projection, projectGrid, type View, viewsOf } from './grid';
import type { FromHeatmap, HeatmapState, Metric, ToHeatmap } from './protocol';
import { colorFor, metricRange } from './colors';
import { fillSelect } from '../select';
import './style.css';

Chart.register(MatrixController, MatrixElement, CategoryScale, Tooltip);

const vscode = acquireVsCodeApi<HeatmapState>();
const post = (m: FromHeatmap) => vscode.postMessage(m);
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const METRICS: Record<Metric, string> = {
  normalized: 'Normalized effect',
  ld: 'Logit difference',
  success: 'Success (top-1 = counterfactual answer)',
};

let state: HeatmapState | undefined = vscode.getState();
let metric: Metric = 'normalized';
let view: View | undefined;
let chart: Chart<'matrix'> | undefined;
let projection: Projection | undefined;

function select(id: string): HTMLElement & { value: string } {
  return $(id);
}


function render(): void {
  if (!state) return;
  const { subject, grid } = state;
  $('title').textContent = `${subject.variable} — line ${subject.line} of ${subject.file.split(/[\\/]/).pop()}`;
  const ld = document.createElement('abbr');
  ld.textContent = 'LD';
  ld.title = `Logit difference at the last position: logit of the counterfactual answer ${JSON.stringify(grid.cfAnswer.text)} minus logit of the clean answer ${JSON.stringify(grid.cleanAnswer.text)}. Negative in the clean run (it prefers the clean answer), positive in the counterfactual run; a patch that moves LD from clean toward cf carries the information.`;
  $('meta').replaceChildren(
    `${subject.model} · ${subject.intervention} · clean answer ${JSON.stringify(grid.cleanAnswer.text)}, counterfactual ${JSON.stringify(grid.cfAnswer.text)} · `,
    ld,
    ` clean ${grid.ldClean.toFixed(2)}, cf ${grid.ldCf.toFixed(2)}`,
  );
  // A model outside its declared domain: the heatmap shows a model out of its depth, and says so.
  $('domain').hidden = !grid.outOfDomain;
  $('domain').textContent = grid.outOfDomain ? `⚠ Outside the model's domain: ${grid.outOfDomain}` : '';
  const views = viewsOf(grid);
  if (!view || !views.some((v) => v.id === view!.id)) view = views[0];
  fillSelect('view', views.map((v) => [v.id, v.label]), view.id);
  // A choice of one is no choice: the View select shows only when a grid has two views.
  $('view-label').hidden = views.length < 2;
  select('intervention').value = subject.intervention;
  select('metric').value = metric;
  $('status').textContent = '';
  draw(grid);
}

function draw(grid: PatchGrid): void {
  const proj = projectGrid(grid, metric, view!);
  projection = proj;
  const range = metricRange(metric, proj.values);
  const data = proj.values.map((v, i) => ({ x: proj.xLabels[i % proj.xLabels.length], y: proj.yLabels[Math.floor(i / proj.xLabels.length)], v, i }));
  chart?.destroy();
  const canvas = $('chart') as HTMLCanvasElement;
  const wrap = $('chart-wrap');
  wrap.style.height = `${Math.max(220, 28 * proj.yLabels.length + 90)}px`;
  chart = new Chart(canvas, {
    type: 'matrix',
    data: {
      datasets: [
        {
          label: METRICS[metric],
          data,
          backgroundColor: (ctx) => colorFor(metric, (ctx.raw as { v: number } | undefined)?.v ?? 0, range),
          borderWidth: 1,
          borderColor: 'rgba(128,128,128,0.25)',
          width: ({ chart: c }) => (c.chartArea?.width ?? 0) / proj.xLabels.length - 1,
          height: ({ chart: c }) => (c.chartArea?.height ?? 0) / proj.yLabels.length - 1,
        },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: {
        x: { type: 'category', labels: proj.xLabels, offset: true, grid: { display: false }, title: { display: true, text: proj.xTitle }, ticks: { autoSkip: false, maxRotation: 90 } },
        y: { type: 'category', labels: proj.yLabels, offset: true, reverse: true, grid: { display: false }, title: { display: true, text: 'layer' } },
      },
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            title: (items: TooltipItem<'matrix'>[]) => {
              const r = items[0].raw as { x: string; y: string };
              return `layer ${r.y}, ${proj.xTitle} ${r.x}`;
            },
            label: (item: TooltipItem<'matrix'>) => proj.describe((item.raw as { i: number }).i),
          },
        },
      },
      onClick: (_e: ChartEvent, elements) => {
        const el = elements[0];
        if (!el) return;
        const index = proj.gridIndex(el.index);
        $('cell').textContent = `Patched top-k at ${proj.describeIndex(index)} …`;
        post({ type: 'cell', index });
      },
    },
  });
  drawLegend(range);
}

/** The colour scale as a bar from its low to its high end, with the metric's name and range. */
function drawLegend(range: [number, number]): void {
  const stops = Array.from({ length: 11 }, (_, k) => {
    const v = metric === 'success' ? (k < 5 ? 0 : 1) : range[0] + ((range[1] - range[0]) * k) / 10;
    return `${colorFor(metric, v, range)} ${k * 10}%`;
  });
  const bar = document.createElement('span');
  bar.className = 'colorbar';
  bar.style.background = `linear-gradient(to right, ${stops.join(', ')})`;
  const label = document.createElement('span');
  label.textContent = `${METRICS[metric]}: ${range[0].toFixed(2)} … ${range[1].toFixed(2)}`;
  $('legend').replaceChildren(range[0].toFixed(2), bar, range[1].toFixed(2), label);
}

window.addEventListener('message', (e: MessageEvent<ToHeatmap>) => {
  const m = e.data;
  switch (m.type) {
    case 'show':
      state = { subject: m.subject, grid: m.grid };
      vscode.setState(state);
      $('cell').textContent = 'Click a cell to see the patched run’s top tokens.';
      render();
      break;
    case 'busy':
      $('status').textContent = m.message;
      break;
    case 'error':
      $('status').textContent = m.message;
      $('cell').textContent = '';
      break;
    case 'cell': {
      const rows = m.top.map((t) => `${JSON.stringify(t.text)}  ${(100 * t.prob).toFixed(1)}%  (logit ${t.logit.toFixed(2)})`);
      const where = projection?.describeIndex(m.index) ?? m.index.join(', ');
      $('cell').textContent = `Patched top-k at ${where}:\n${rows.join('\n')}`;
      break;
    }
  }
});

fillSelect('metric', Object.entries(METRICS) as [string, string][], metric);
fillSelect(
  'intervention',
  [
    ['resid', 'Residual stream'],
    ['mlp', 'MLP output'],
    ['heads', 'Attention heads'],
    ['knockout', 'Attention knockout'],
  ],
  state?.subject.intervention ?? 'resid',
);
select('metric').addEventListener('change', () => {
  metric = select('metric').value as Metric;
  render();
});
select('view').addEventListener('change', () => {
  view = viewsOf(state!.grid).find((v) => v.id === select('view').value);
  render();
});
select('intervention').addEventListener('change', () => {
  const intervention = select('intervention').value as Intervention;
  if (state && intervention !== state.subject.intervention) {
    $('status').textContent = `Tracing with ${intervention} …`;
    post({ type: 'retrace', intervention });
  }
});
$('export-png').addEventListener('click', () => post({ type: 'export', format: 'png', dataUrl: ($('chart') as HTMLCanvasElement).toDataURL('image/png') }));
$('export-json').addEventListener('click', () => post({ type: 'export', format: 'json' }));

render();
post({ type: 'ready' });
