/**
 * A susceptibility study's sections: one checkpoint's components × perturbations matrix (χ of each
 * probe group, ± where a component responds to correct and incorrect samples with opposite signs),
 * each component's weight-refined LLC over training, and the tokens' UMAP (or PCA) over training as
 * a scatter with a slider over checkpoints; hovering a point shows its token in context.
 */
import { Chart, type TooltipItem } from 'chart.js';
import type { StudyUmap } from '../../../engine/src/api/protocol';
import type { SusceptibilitySummary } from '../../../engine/src/studies/susceptibility';
import { TOKEN_CLASSES } from '../../../engine/src/studies/tokenClasses';
import { fillSelect } from '../select';
import { $, charts, divergingColor, lineChart } from './charts';
import { logSteps } from './curves';
import type { FromStudy } from './protocol';

/** Tableau 10, as the engine's pictures colour the same classes (plot/palette.ts). */
const TABLEAU10 = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

let summary: SusceptibilitySummary | undefined;
let observable = 'sequence';
let step: number | undefined;
let picked = false;
/** The user moved the slider: keep its frame; otherwise show the latest as checkpoints finish. */
let framePicked = false;
let umap: StudyUmap | undefined;
let asked = '';

export function renderSusceptibility(s: SusceptibilitySummary, post: (m: FromStudy) => void): void {
  summary = s;
  const o = s.settings.sampling;
  $('title').textContent = `Susceptibility study — ${s.series}`;
  $('meta').textContent =
    `${s.rows.length}/${s.planned.length} checkpoints${s.finished ? '' : ' (running or unfinished)'} · data ${s.settings.data} (${s.settings.pairs} pairs) · components ${s.settings.components} · ` +
    `${o.sampler}, ε ${o.epsilon}, nβ ${o.nbeta ?? 'batch/ln batch'}, γ ${o.gamma}, ${o.chains} chains × ${o.draws} draws per run`;
  if (!s.rows.length) return;
  const observables = Object.keys(s.rows[0].components[0]?.groups ?? {});
  if (!observables.includes(observable)) observable = observables[0];
  fillSelect('chi-observable', observables.map((k) => [k, k === 'claim' ? 'claim (the claimed value)' : 'sequence (whole sample)']), observable);
  const steps = s.rows.map((r) => r.step);
  if (!picked || step === undefined || !steps.includes(step)) step = steps[steps.length - 1];
  fillSelect('chi-step', steps.map((x) => [String(x), `step ${x}`]), String(step));
  drawMatrix();
  const names = s.rows[0].components.map((c) => c.name);
  lineChart(
    'chi-llc',
    [{ name: 'full', points: s.rows.map((r) => ({ x: r.step, y: r.full.llc, lo: r.full.llc, hi: r.full.llc })) }, ...names.map((name) => ({ name, points: s.rows.map((r) => {
      const llc = r.components.find((c) => c.name === name)?.llc ?? NaN;
      return { x: r.step, y: llc, lo: llc, hi: llc };
    }) }))],
    'λ̂ of the component’s weights',
    logSteps(s),
  );
  // The frames cover the finished checkpoints: ask again when more have finished.
  const key = steps.join(',');
  if (asked !== key) {
    asked = key;
    $('umap-status').textContent = 'Computing UMAP and PCA of the tokens (the engine keeps the frames it has already) …';
    post({ type: 'umap' });
  }
}

function drawMatrix(): void {
  const row = summary?.rows.find((r) => r.step === step);
  if (!row) return;
  const groups = Object.keys(row.components[0]?.groups[observable] ?? {});
  const labels = row.components.map((c) => `${c.name}${c.opposite[observable] ? ' ±' : ''}`);
  const data = row.components.flatMap((c, r) => groups.map((g) => ({ x: g, y: labels[r], v: c.groups[observable][g].value, lo: c.groups[observable][g].lo, hi: c.groups[observable][g].hi })));
  const max = Math.max(1e-12, ...data.map((d) => Math.abs(d.v)));
  charts.get('chi-matrix')?.destroy();
  charts.set(
    'chi-matrix',
    new Chart($('chi-matrix') as HTMLCanvasElement, {
      type: 'matrix',
      data: {
        datasets: [
          {
            label: 'χ',
            data,
            backgroundColor: (ctx) => divergingColor((ctx.raw as { v: number } | undefined)?.v ?? NaN, max),
            width: ({ chart: c }) => (c.chartArea?.width ?? 0) / Math.max(1, groups.length),
            height: ({ chart: c }) => (c.chartArea?.height ?? 0) / Math.max(1, labels.length),
          },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: {
          x: { type: 'category', labels: groups, offset: true, grid: { display: false }, title: { display: true, text: 'perturbation (probe group)' } },
          y: { type: 'category', labels, offset: true, reverse: true, grid: { display: false }, title: { display: true, text: 'component' } },
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: (items: TooltipItem<'matrix'>[]) => {
                const r = items[0].raw as { x: string; y: string };
                return `${r.y} ← ${r.x}`;
              },
              label: (item: TooltipItem<'matrix'>) => {
                const r = item.raw as { v: number; lo: number; hi: number };
                return `χ ${r.v.toExponential(3)} (95%: ${r.lo.toExponential(2)} … ${r.hi.toExponential(2)})`;
              },
            },
          },
        },
      },
    }),
  );
  $('chi-legend').textContent =
    `χ = −Cov(φ, ℓ − L) over the component's draws, centred by the full run; ${observable} losses, step ${row.step}. Red: χ > 0 (the component's fluctuations raise this group's loss less than the sampling loss); ` +
    `blue: χ < 0 (more); ±${max.toExponential(2)} at full colour. ± marks a component whose χ for correct and incorrect samples have opposite signs, both intervals clear of 0.`;
}

export function onUmap(u: StudyUmap): void {
  umap = u;
  $('umap-status').textContent = `${u.tokens.length} probe tokens × ${u.components.length} components, ${u.steps.length} checkpoints; UMAP with ${u.settings.nNeighbors} neighbours, min distance ${u.settings.minDist}, seed ${u.settings.seed}. Frames aligned to the one before (Procrustes).`;
  const slider = $<HTMLInputElement>('frame');
  slider.max = String(u.steps.length - 1);
  if (!framePicked || Number(slider.value) > u.steps.length - 1) slider.value = String(u.steps.length - 1);
  drawScatter();
}

function drawScatter(): void {
  if (!umap) return;
  const u = umap;
  const k = Number($<HTMLInputElement>('frame').value);
  const pca = $('embedding').value === 'pca';
  const xy = (pca ? u.pca : u.umap)[k];
  $('frame-step').textContent = `(step ${u.steps[k]})`;
  const present = new Set(u.tokens.map((t) => t.class));
  const classes = [...TOKEN_CLASSES.filter((c) => present.has(c)), ...[...present].filter((c) => !TOKEN_CLASSES.includes(c))];
  const datasets = classes.map((c, i) => ({
    label: c,
    data: u.tokens.flatMap((t, j) => (t.class === c ? [{ x: xy[2 * j], y: xy[2 * j + 1], j }] : [])),
    backgroundColor: `${TABLEAU10[i % TABLEAU10.length]}b0`,
    borderColor: TABLEAU10[i % TABLEAU10.length],
    pointRadius: 2.5,
  }));
  const chart = charts.get('scatter') as Chart<'scatter'> | undefined;
  if (chart) {
    chart.data.datasets = datasets;
    chart.update('none');
  } else
    charts.set(
      'scatter',
      new Chart($('scatter') as HTMLCanvasElement, {
        type: 'scatter',
        data: { datasets },
        options: {
          animation: false,
          maintainAspectRatio: false,
          scales: { x: { ticks: { display: false } }, y: { ticks: { display: false } } },
          // Points are small and dense: the one nearest the pointer is the one hovered.
          interaction: { mode: 'nearest', intersect: false, axis: 'xy' },
          // The hovered token stays written under the chart (the tooltip goes when the pointer does).
          onHover: (_e, elements, c) => {
            const el = elements[0];
            if (el) $('hovered').textContent = describeToken((c.data.datasets[el.datasetIndex].data[el.index] as unknown as { j: number }).j);
          },
          plugins: {
            tooltip: {
              callbacks: {
                label: (item: TooltipItem<'scatter'>) => describeToken((item.raw as { j: number }).j).split('\n'),
              },
            },
          },
        },
      }),
    );
  const v = u.pcaVariance[k];
  const pc1 = u.pc1[k];
  const oneSign = pc1.every((x) => x >= 0) || pc1.every((x) => x <= 0);
  $('pca-note').textContent = `PCA at step ${u.steps[k]}: PC1 ${(100 * v[0]).toFixed(1)}%, PC2 ${(100 * (v[1] ?? 0)).toFixed(1)}%, PC3 ${(100 * (v[2] ?? 0)).toFixed(1)}% of the variance; PC1's loadings ${oneSign ? 'all have one sign (a uniform mode)' : 'have both signs'}.`;
}

/** A token of the frames: its class and text, where it is, and its context with the token in brackets. */
function describeToken(j: number): string {
  const t = umap!.tokens[j];
  const text = umap!.samples[t.sample];
  const show = (x: string) => x.replace(/\n/g, '⏎');
  return `${t.class} ${JSON.stringify(t.text)} (sample ${t.sample}, token ${t.position})\n…${show(text.slice(Math.max(0, t.start - 16), t.start))}[${show(t.text)}]${show(text.slice(t.end, t.end + 8))}…`;
}

export function wireSusceptibility(): void {
  $('chi-observable').addEventListener('change', () => {
    observable = $('chi-observable').value;
    drawMatrix();
  });
  // Filling the select sets its value, which fires 'change' too: only another value is the user's choice.
  $('chi-step').addEventListener('change', () => {
    const chosen = Number($('chi-step').value);
    if (chosen === step) return;
    step = chosen;
    picked = true;
    drawMatrix();
  });
  $('frame').addEventListener('input', () => {
    framePicked = true;
    drawScatter();
  });
  $('embedding').addEventListener('change', drawScatter);
}
