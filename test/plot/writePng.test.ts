import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { accuracyPlotPng } from '../../engine/src/plot/accuracyPlot';
import { writePng } from '../../engine/src/plot/writePng';

test('writePng creates folders, replaces old files and leaves no temp files', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'plot-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'run', 'plots', 'accuracy.png');
  const first = accuracyPlotPng({ byModelLength: [{ model: 'm', length: 1, accuracy: 0.5, n: 10 }] });
  const second = accuracyPlotPng({ byModelLength: [{ model: 'm', length: 1, accuracy: 0.9, n: 10 }] });
  writePng(path, first);
  assert.deepEqual(readFileSync(path), first);
  writePng(path, second);
  assert.deepEqual(readFileSync(path), second);
  assert.deepEqual(readdirSync(join(dir, 'run', 'plots')), ['accuracy.png']);
  assert.deepEqual([...readFileSync(path).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
});

test('the same data renders to the same bytes', () => {
  const summary = { byModelLength: [1, 2, 3].map((length) => ({ model: 'm', length, accuracy: 1 / length, n: 20 })) };
  assert.deepEqual(accuracyPlotPng(summary), accuracyPlotPng(summary));
});
