import assert from 'node:assert/strict';
import { test } from 'node:test';
import { colormapColor, colormapPosition, luminance, valueColor } from '../../engine/src/plot/colormap';
import { hexToRgb } from './pixels';

test('sequential positions are linear in vmin..vmax and clamped outside', () => {
  const s = { vmin: -1, vmax: 3, diverging: false };
  assert.equal(colormapPosition(-1, s), 0);
  assert.equal(colormapPosition(1, s), 0.5);
  assert.equal(colormapPosition(3, s), 1);
  assert.equal(colormapPosition(10, s), 1);
  assert.equal(colormapPosition(-10, s), 0);
});

test('diverging positions put zero at the centre even for an asymmetric range', () => {
  const s = { vmin: -1, vmax: 4, diverging: true };
  assert.equal(colormapPosition(0, s), 0.5);
  assert.equal(colormapPosition(-1, s), 0);
  assert.equal(colormapPosition(4, s), 1);
  assert.equal(colormapPosition(2, s), 0.75);
  assert.equal(colormapPosition(-0.5, s), 0.25);
});

test('viridis runs dark purple to yellow; RdBu (reversed) runs blue through white to red', () => {
  const [r0, g0, b0] = hexToRgb(colormapColor(0, false));
  const [r1, g1, b1] = hexToRgb(colormapColor(1, false));
  assert.ok(b0 > r0 && b0 > g0 && luminance(colormapColor(0, false)) < 0.05);
  assert.ok(r1 > b1 && g1 > b1 && luminance(colormapColor(1, false)) > 0.7);
  const mid = hexToRgb(colormapColor(0.5, true));
  assert.ok(mid.every((c) => c > 235), `centre should be near white, got ${mid}`);
  const [lr, , lb] = hexToRgb(colormapColor(0, true));
  const [hr, , hb] = hexToRgb(colormapColor(1, true));
  assert.ok(lb > lr && hr > hb);
  assert.equal(valueColor(0, { vmin: -2, vmax: 2, diverging: true }), colormapColor(0.5, true));
});

test('viridis luminance increases monotonically, as a perceptual map should', () => {
  let prev = -1;
  for (let i = 0; i <= 20; i++) {
    const l = luminance(colormapColor(i / 20, false));
    assert.ok(l > prev);
    prev = l;
  }
});
