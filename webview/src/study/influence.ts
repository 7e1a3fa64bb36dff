/** An influence study's sections: the mean BIF between groups and the LLC over training, and one checkpoint's BIF matrix between samples. */
import { Chart, type TooltipItem } from 'chart.js';
import type { StudyMatrix, StudyMatrixParams } from '../../../engine/src/api/protocol';
import type { InfluenceSummary } from '../../../engine/src/studies/influence';
import { fillSelect } from '../select';
import { $, charts, divergingColor, lineChart } from './charts';
import { bifCurves, llcCurve, logSteps, observablesOf } from './curves';
import type { FromStudy } from './protocol';

/** The losses shown: `claim` or `sequence` (what the summary has). */
let observable = '' as StudyMatrixParams['observable'];
let step: number | undefined;
let post: (m: FromStudy) => void = () => undefined;

export function renderInfluence(s: InfluenceSummary, send: (m: FromStudy) => void): void {
  post = send;
  const o = s.settings.sampling;
  $('title').textContent = `Influence study — ${s.series}`;
  $('meta').textContent =
    `${s.rows.length}/${s.planned.length} checkpoints${s.finished ? '' : ' (running or unfinished)'} · data ${s.settings.data} · ` +
    `${o.sampler}, ε ${o.epsilon}, nβ ${o.nbeta ?? 'batch/ln batch'}, γ ${o.gamma}, ${o.chains} chains × ${o.draws} draws · restrict ${o.restrict}`;
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

/** A matrix arrived: drawn if it is still the one asked for. */
export function onMatrix(m: { step: number; observable: string; matrix: StudyMatrix }): void {
  if (m.step === step && m.observable === observable) drawMatrix(m.matrix);
}

/** Wires the section's controls; `rerender` draws the summary again. */
export function wireInfluence(rerender: () => void): void {
  $('observable').addEventListener('change', () => {
    observable = $('observable').value as StudyMatrixParams['observable'];
    rerender();
  });
  $('step').addEventListener('change', () => {
    step = Number($('step').value);
    post({ type: 'matrix', step, observable });
  });
}

function drawMatrix(m: StudyMatrix): void {
  const n = m.samples.length;
  const groups = [...new Set(m.samples.map((x) => x.group))];
  const order = m.samples.map((_, i) => i).sort((a, b) => groups.indexOf(m.samples[a].group) - groups.indexOf(m.samples[b].group) || (m.samples[a].pair ?? a) - (m.samples[b].pair ?? b));
  const label = (i: number) => `${m.samples[i].group[0]}${m.samples[i].pair ?? i}`;
  const labels = order.map(label);
  const data = order.flatMap((i, r) => order.map((j, c) => ({ x: labels[c], y: labels[r], v: i === j ? NaN : m.bif[i * n + j], i, j })));
  const max = Math.max(1e-12, ...data.map((d) => Math.abs(d.v)).filter(Number.isFinite));
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
            backgroundColor: (ctx) => divergingColor((ctx.raw as { v: number } | undefined)?.v ?? NaN, max),
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
