/** Axis ticks from d3 scales: positions along the axis in px, labels, and which ticks are major. */
import { format } from 'd3-format';
import { scaleLinear, scaleLog } from 'd3-scale';

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
    const fmt = (v: number) => (Math.abs(v) >= 1e4 ? format('~s')(v) : format('~g')(v));
    return { map: (v) => s(v), ticks: o.at.filter(inside).map((value) => ({ value, offset: s(value), label: fmt(value) })) };
  }
  if (o.log) {
    const s = scaleLog().domain([o.lo, o.hi]).range(out);
    // SI prefixes (1k, 10k) keep large training-step labels short.
    const fmt = s.tickFormat(count, Math.max(Math.abs(o.lo), Math.abs(o.hi)) >= 1e4 ? '~s' : '~g');
    return { map: (v) => s(v), ticks: s.ticks().filter(inside).map((value) => ({ value, offset: s(value), label: fmt(value) })) };
  }
  const s = scaleLinear().domain([o.lo, o.hi]).range(out);
  const ts = scaleLinear().domain([tLo, tHi]);
  const fmt = ts.tickFormat(count);
  return { map: (v) => s(v), ticks: ts.ticks(count).map((value) => ({ value, offset: s(value), label: fmt(value) })) };
}
