/** The webviews' message schemas: every message a panel sends parses, and malformed ones are refused. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FromHeatmap } from '../../webview/src/heatmap/protocol';
import { FromRunner } from '../../webview/src/runner/protocol';
import { FromStudy } from '../../webview/src/study/protocol';
import { EMERGENCE_STUDY, INFLUENCE_STUDY, SUSCEPTIBILITY_STUDY } from '../../experiments/studies';

test('every message the panels send parses', () => {
  const ok = (schema: { safeParse(v: unknown): { success: boolean; error?: unknown } }, m: unknown) => assert.ok(schema.safeParse(m).success, JSON.stringify(m));
  for (const m of [{ type: 'ready' }, { type: 'cell', index: [1, 2] }, { type: 'retrace', intervention: 'heads' }, { type: 'export', format: 'json' }, { type: 'export', format: 'png', dataUrl: 'data:image/png;base64,AAAA' }])
    ok(FromHeatmap, m);
  const request = { kind: 'suite', id: 'variable-binding', models: ['oracle'], lengths: [2, 3], n: 3 };
  for (const m of [
    { type: 'ready' },
    { type: 'refresh' },
    { type: 'cancel' },
    { type: 'run', request },
    { type: 'runStudy', study: { id: 'influence', settings: { ...INFLUENCE_STUDY.defaults, series: '/s' } } },
    { type: 'runStudy', study: { id: 'emergence', settings: { ...EMERGENCE_STUDY.defaults, series: '/s' } }, slurm: true },
    { type: 'runStudy', study: { id: 'susceptibility', settings: { ...SUSCEPTIBILITY_STUDY.defaults, series: '/s' } } },
    { type: 'seriesInfo', series: '/s' },
    { type: 'resumeStudy', dir: '/r/influence_1' },
    { type: 'resumeRun', dir: '/r/run_1' },
    { type: 'openStudy', dir: '/r/influence_1' },
    { type: 'browse', field: 'series' },
  ])
    ok(FromRunner, m);
  for (const m of [{ type: 'ready' }, { type: 'matrix', step: 100, observable: 'claim' }, { type: 'latents', step: 100 }, { type: 'umap' }]) ok(FromStudy, m);
});

test('malformed messages are refused', () => {
  const bad = (schema: { safeParse(v: unknown): { success: boolean } }, m: unknown) => assert.equal(schema.safeParse(m).success, false, JSON.stringify(m));
  bad(FromHeatmap, { type: 'export', format: 'png' });
  bad(FromHeatmap, { type: 'export', format: 'png', dataUrl: 'javascript:alert(1)' });
  bad(FromHeatmap, { type: 'retrace', intervention: '__proto__' });
  bad(FromRunner, { type: 'run', request: { kind: 'suite', id: 'x', models: [], lengths: [2], n: 1 } });
  bad(FromRunner, { type: 'run', request: { kind: 'suite', id: 'x', models: ['m'], lengths: [2], n: 1e12 } });
  bad(FromRunner, { type: 'runStudy', study: { id: 'influence', settings: { ...INFLUENCE_STUDY.defaults, series: '' } } });
  // A study's settings are checked against its own schema.
  bad(FromRunner, { type: 'runStudy', study: { id: 'emergence', settings: { ...INFLUENCE_STUDY.defaults, series: '/s' } } });
  bad(FromRunner, { type: 'runStudy', study: { id: 'emergence', settings: { ...EMERGENCE_STUDY.defaults, series: '/s', hook: 'logits' } } });
  bad(FromRunner, { type: 'seriesInfo', series: '' });
  bad(FromRunner, { type: 'runStudy', study: { id: 'susceptibility', settings: { ...SUSCEPTIBILITY_STUDY.defaults, series: '/s', components: '' } } });
  bad(FromRunner, { type: 'browse', field: '/etc' });
  bad(FromRunner, { type: 'nope' });
  bad(FromStudy, { type: 'matrix', step: -1, observable: 'claim' });
  bad(FromStudy, { type: 'latents', step: 1.5 });
});
