/** Axis ticks from d3 scales: positions along the axis in px, labels, and which ticks are major. */
import { format } from 'd3-format';
import { scaleLinear, scaleLog } from 'd3-scale';

/** Axes reaching 10 000 get SI-prefixed labels (1k, 10k) so large step counts stay short. */
const large = (lo: number, hi: number) => Math.max(Math.abs(lo), Math.abs(hi)) >= 1e4;

export interface Tick {
  value: number;
  /** Offset in px from the axis origin (left end for x, top end for y). */
  offset: number;
  /** Empty for minor ticks, which get a lighter gridline and no label. */
  label: string;
}

export interface AxisScale {
  /** Data value → px offset along the axis. */
  map(v: number): number;
  ticks: Tick[];
}

/**
 * A linear or log scale over [lo, hi] drawn `length` px long (`flip` for y, whose origin is at the
 * top), with ticks labelled within [tickLo, tickHi] (default: the whole domain).
 */
export function axisScale(o: {
  lo: number;
  hi: number;
  length: number;
  log?: boolean;
  flip?: boolean;
  tickLo?: number;
  tickHi?: number;
  /** Explicit tick values instead of d3's choice. */
  at?: readonly number[];
}): AxisScale {
  const out = o.flip ? [o.length, 0] : [0, o.length];
  const count = Math.max(2, Math.round(o.length / (o.flip ? 55 : 90)));
  const tLo = o.tickLo ?? o.lo;
  const tHi = o.tickHi ?? o.hi;
  const inside = (v: number) => v >= tLo - 1e-9 * Math.abs(tHi - tLo) && v <= tHi + 1e-9 * Math.abs(tHi - tLo);
  if (o.at) {
    const s = (o.log ? scaleLog() : scaleLinear()).domain([o.lo, o.hi]).range(out);
    const fmt = format(large(o.lo, o.hi) ? '~s' : '~g');
    return { map: (v) => s(v), ticks: o.at.filter(inside).map((value) => ({ value, offset: s(value), label: fmt(value) })) };
  }
  if (o.log) {
    const s = scaleLog().domain([o.lo, o.hi]).range(out);
    const fmt = s.tickFormat(count, large(o.lo, o.hi) ? '~s' : '~g');
    return { map: (v) => s(v), ticks: s.ticks().filter(inside).map((value) => ({ value, offset: s(value), label: fmt(value) })) };
  }
  const s = scaleLinear().domain([o.lo, o.hi]).range(out);
  const ts = scaleLinear().domain([tLo, tHi]);
  // d3's tickFormat would give every large tick one shared prefix ("0k"); each gets its own instead.
  const fmt = large(tLo, tHi) ? format('~s') : ts.tickFormat(count);
  return { map: (v) => s(v), ticks: ts.ticks(count).map((value) => ({ value, offset: s(value), label: fmt(value) })) };
}
