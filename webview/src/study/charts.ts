/** What the study panel's views share: element lookup and line charts of curves over training steps with bands. */
import { CategoryScale, Chart, Filler, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, ScatterController, Title, Tooltip } from 'chart.js';
import { MatrixController, MatrixElement } from 'chartjs-chart-matrix';
import type { Curve } from './curves';

Chart.register(LineController, ScatterController, LineElement, PointElement, LinearScale, LogarithmicScale, CategoryScale, Filler, Legend, Tooltip, Title, MatrixController, MatrixElement);

export const $ = <T extends HTMLElement = HTMLElement & { value: string }>(id: string) => document.getElementById(id) as T;
export const PALETTE = ['#4e79a7', '#e15759', '#59a14f', '#f28e2b', '#b07aa1', '#76b7b2'];
export const charts = new Map<string, Chart>();

/** Curves over training steps, each with its band (drawn where lo ≠ hi); log x leaves step 0 out. */
export function lineChart(id: string, curves: Curve[], yTitle: string, log: boolean, yRange?: [number, number]): void {
  charts.get(id)?.destroy();
  const keep = (c: Curve) => c.points.filter((p) => !log || p.x > 0);
  const datasets = curves.flatMap((c, i) => {
    const color = PALETTE[i % PALETTE.length];
    const pts = keep(c);
    return [
      { label: c.name, data: pts.map((p) => ({ x: p.x, y: p.y })), borderColor: color, backgroundColor: color, pointRadius: 3 },
      // The band: its lower edge, then the upper edge filled down to it.
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
          y: { title: { display: true, text: yTitle }, ...(yRange ? { min: yRange[0], max: yRange[1] } : {}) },
        },
        plugins: { legend: { labels: { filter: (item) => !/ [−+]$/.test(item.text) } } },
      },
    }),
  );
}

/** Red for > 0, blue for < 0, white at 0, full colour at ±max; grey for a missing value. */
export function divergingColor(v: number, max: number): string {
  if (!Number.isFinite(v)) return 'rgba(128,128,128,0.3)';
  const t = Math.min(1, Math.abs(v) / max);
  const [r, g, b] = v >= 0 ? [200, 50, 48] : [49, 104, 178];
  const mix = (x: number) => Math.round(247 + (x - 247) * t);
  return `rgb(${mix(r)},${mix(g)},${mix(b)})`;
}
