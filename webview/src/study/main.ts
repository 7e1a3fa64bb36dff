/**
 * A study's results panel. An influence study: the mean BIF between sample groups and the LLC over
 * training steps, and one checkpoint's BIF matrix. An emergence study: how well SAE latents and
 * probes tell correct from incorrect code over training, the SAEs' quality, and a latent browser. A
 * susceptibility study: components × perturbations, the components' LLCs, the tokens' UMAP with a
 * slider over checkpoints.
 * Everything it knows comes in messages (./protocol.ts); it asks the extension for a checkpoint's
 * matrix or latents when one is chosen.
 */
import type { StudySummary } from '../../../engine/src/studies/kinds';
import { $ } from './charts';
import { onLatents, renderEmergence, wireEmergence } from './emergence';
import { onMatrix, renderInfluence, wireInfluence } from './influence';
import { onUmap, renderSusceptibility, wireSusceptibility } from './susceptibility';
import type { FromStudy, StudyState, ToStudy } from './protocol';
import './style.css';

const vscode = acquireVsCodeApi<StudyState>();
const post = (m: FromStudy) => vscode.postMessage(m);

let summary: StudySummary | undefined;

function render(): void {
  if (!summary) return;
  $('influence').hidden = summary.study !== 'influence' || !summary.rows.length;
  $('emergence').hidden = summary.study !== 'emergence' || !summary.rows.length;
  $('susceptibility').hidden = summary.study !== 'susceptibility' || !summary.rows.length;
  $('empty').hidden = summary.rows.length > 0;
  if (summary.study === 'influence') renderInfluence(summary, post);
  else if (summary.study === 'emergence') renderEmergence(summary, post);
  else renderSusceptibility(summary, post);
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
      onMatrix(m);
      break;
    case 'latents':
      onLatents(m);
      break;
    case 'umap':
      onUmap(m.umap);
      break;
    case 'error':
      $('status').textContent = m.message;
      break;
  }
});

wireInfluence(render);
wireEmergence(post);
wireSusceptibility();
post({ type: 'ready' });
