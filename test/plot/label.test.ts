import assert from 'node:assert/strict';
import { test } from 'node:test';
import { textWidth } from '../../engine/src/plot/font';
import { heatmapPng } from '../../engine/src/plot/heatmap';
import { displayLabel, tokenLabel } from '../../engine/src/plot/label';

test('token labels make whitespace and control characters visible', () => {
  assert.equal(tokenLabel('\n'), '⏎');
  assert.equal(tokenLabel('\n\n'), '⏎⏎');
  assert.equal(tokenLabel('\t'), '→');
  assert.equal(tokenLabel(' ='), '·=');
  assert.equal(tokenLabel(' '), '␣');
  assert.equal(tokenLabel('   '), '␣␣␣');
  assert.equal(tokenLabel(''), '∅');
  assert.equal(tokenLabel('\x01'), '\\x01');
  assert.equal(tokenLabel('#'), '#');
});

test('plain labels keep their spaces but still show newlines', () => {
  assert.equal(displayLabel('layer 3'), 'layer 3');
  assert.equal(displayLabel('a\nb'), 'a⏎b');
});

test('long labels are shortened with an ellipsis, counting characters not UTF-16 units', () => {
  assert.equal(tokenLabel('variable_name_long', 8), 'variabl…');
  assert.equal([...tokenLabel('ααααααααααααααα', 8)].length, 8);
  assert.equal(displayLabel('short', 8), 'short');
});

test('characters the bundled font lacks are escaped, not drawn as blanks', () => {
  const shown = tokenLabel('中');
  assert.equal(shown, '\\u{4e2d}');
  assert.ok(textWidth(shown, 11) > 0);
  // Greek and box-drawing are in DejaVu Sans and stay as they are.
  assert.equal(tokenLabel('λ'), 'λ');
});

test('titles with control characters and missing glyphs still render', () => {
  const png = heatmapPng({ values: [0, 1], rows: 1, cols: 2, rowLabels: ['x'], colLabels: ['a', 'b'], title: 'bell\x07 and 中文', colorbarLabel: 'v\x00', xLabel: 'tab\there' });
  assert.ok(png.length > 100);
  assert.ok(textWidth('中', 11) > textWidth('a', 11), 'measured as its escape, which is what gets drawn');
});
