/**
 * An emergence study's sections: held-out accuracy of the correctness latent and of the probes over
 * training (with the model's own task accuracy), the SAEs' quality, and a latent browser — for one
 * checkpoint, a latent's strongest activations with their tokens highlighted in the sample text.
 */
import type { LatentBrowser } from '../../../engine/src/api/protocol';
import type { BrowsedLatent, EmergenceSummary } from '../../../engine/src/studies/emergence';
import { fillSelect } from '../select';
import { $, lineChart } from './charts';
import { emergenceCurves, logSteps, saeQualityCurves } from './curves';
import type { FromStudy } from './protocol';

let step: number | undefined;
/** The user chose a checkpoint: keep it; otherwise follow the latest as checkpoints finish. */
let picked = false;
let browser: { step: number; data: LatentBrowser } | undefined;
let latent: number | undefined;

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function renderEmergence(s: EmergenceSummary, post: (m: FromStudy) => void): void {
  const sae = s.settings.sae;
  $('title').textContent = `Emergence study — ${s.series}`;
  $('meta').textContent =
    `${s.rows.length}/${s.planned.length} checkpoints${s.finished ? '' : ' (running or unfinished)'} · data ${s.settings.data} (${s.settings.pairs} pairs) · ` +
    `${s.settings.hook} at ${s.settings.positions} · ${sae.kind} SAE, ${sae.latents} latents${sae.kind === 'topk' ? `, k ${sae.k}` : `, λ ${sae.l1}`}, ${sae.steps} steps${sae.warmStart ? ', warm-started' : ''}`;
  if (!s.rows.length) return;
  const log = logSteps(s);
  lineChart('emergence-chart', emergenceCurves(s), 'held-out accuracy (band: 95% bootstrap)', log, [0, 1]);
  lineChart('sae-chart', saeQualityCurves(s), 'fraction', log);
  $('birth').textContent =
    s.birth === null
      ? `The matched latent never reaches ${pct(s.settings.birthAccuracy)} held-out accuracy in these checkpoints.`
      : `Birth: step ${s.birth} — the first checkpoint where the matched latent reaches ${pct(s.settings.birthAccuracy)} held-out accuracy.`;
  const steps = s.rows.map((r) => r.step);
  if (!picked || step === undefined || !steps.includes(step)) step = steps[steps.length - 1];
  fillSelect('latent-step', steps.map((x) => [String(x), `step ${x}`]), String(step));
  if (browser?.step !== step) post({ type: 'latents', step });
}

export function onLatents(m: { step: number; browser: LatentBrowser }): void {
  if (m.step !== step) return;
  browser = { step: m.step, data: m.browser };
  const latents = m.browser.latents;
  if (latent === undefined || !latents.some((l) => l.latent === latent)) latent = latents[0]?.latent;
  fillSelect('latent', latents.map((l) => [String(l.latent), latentLabel(l)]), String(latent));
  showLatent();
}

function latentLabel(l: BrowsedLatent): string {
  return `#${l.latent} — ${l.why === 'correctness' ? 'correctness' : 'frequent'}, held-out ${pct(l.heldOutAccuracy)}, AUROC ${l.trainAuroc.toFixed(2)}`;
}

/** The chosen latent's top activations, grouped by sample, each sample's text with the activating tokens marked (stronger: more opaque). */
function showLatent(): void {
  const l = browser?.data.latents.find((x) => x.latent === latent);
  const out = $('latent-samples');
  if (!l || !browser) {
    out.replaceChildren();
    $('latent-meta').textContent = 'No latents to browse at this checkpoint.';
    return;
  }
  const max = Math.max(...l.top.map((t) => t.value), 1e-12);
  const bySample = new Map<number, { position: number; value: number }[]>();
  for (const t of l.top) bySample.set(t.sample, [...(bySample.get(t.sample) ?? []), t]);
  const groups = l.top.map((t) => browser!.data.samples.find((x) => x.index === t.sample)?.group);
  $('latent-meta').textContent =
    `Latent ${l.latent} (${l.why === 'correctness' ? 'one of the best at telling correct from incorrect on the training pairs' : 'one of the most often firing'}): ` +
    `train AUROC ${l.trainAuroc.toFixed(3)}, held-out accuracy ${pct(l.heldOutAccuracy)}. Its ${l.top.length} strongest activations: ` +
    [...new Set(groups)].map((g) => `${groups.filter((x) => x === g).length} ${g}`).join(', ') + '.';
  out.replaceChildren(
    ...[...bySample].map(([index, hits]) => {
      const sample = browser!.data.samples.find((x) => x.index === index)!;
      const box = document.createElement('div');
      box.className = 'sample';
      const head = document.createElement('div');
      head.className = 'sample-head';
      head.textContent = `sample ${index} · ${sample.group} · strongest ${Math.max(...hits.map((h) => h.value)).toFixed(3)}`;
      const pre = document.createElement('pre');
      let at = 0;
      for (const h of [...hits].sort((a, b) => a.position - b.position)) {
        const [start, end] = sample.tokens[h.position] ?? [at, at];
        if (start < at) continue;
        pre.append(sample.text.slice(at, start));
        const mark = document.createElement('mark');
        mark.textContent = sample.text.slice(start, end) || '∅';
        mark.title = `token ${h.position}: ${h.value.toFixed(4)}`;
        mark.style.setProperty('--strength', String(0.25 + 0.75 * (h.value / max)));
        pre.append(mark);
        at = end;
      }
      pre.append(sample.text.slice(at));
      box.append(head, pre);
      return box;
    }),
  );
}

export function wireEmergence(post: (m: FromStudy) => void): void {
  // Filling the select sets its value, which fires 'change' too: only another value is the user's choice.
  $('latent-step').addEventListener('change', () => {
    const chosen = Number($('latent-step').value);
    if (chosen === step) return;
    step = chosen;
    picked = true;
    post({ type: 'latents', step });
  });
  $('latent').addEventListener('change', () => {
    latent = Number($('latent').value);
    showLatent();
  });
}
