/**
 * Reverse-mode differentiation over a GraphBuilder's node list. It walks the forward nodes once
 * backwards and appends, for each node between the values differentiated with respect to and the
 * objective, the gradient nodes its rule emits, into the same builder: one graph then computes the
 * objective and its gradients in one run.
 */
import { IntrospectError } from '../errors';
import type { GraphBuilder, Value } from '../onnx/builder';
import { Emitter } from './emit';
import { RULES } from './rules';
import { isFloat, ShapeInfo } from './shapes';

export interface GradientOptions {
  /**
   * Gradient of the objective with respect to itself; default 1 (the objective must then be a
   * scalar). Give a value shaped like the objective to get a vector-Jacobian product.
   */
  seed?: Value;
  /** Values treated as constants (PyTorch's `.detach()`): no gradient flows through them. */
  stop?: Value[];
}

/**
 * Appends to `b` the nodes computing d`of`/d`w` for every `w` in `wrt` (weights, graph inputs or
 * any intermediate activation), and returns the value holding each gradient. A `w` the objective
 * does not depend on gets zeros.
 */
export function gradients(b: GraphBuilder, of: Value, wrt: Value[], opts: GradientOptions = {}): Map<Value, Value> {
  const shapes = new ShapeInfo(b);
  const e = new Emitter(b, shapes);
  if (!shapes.has(of)) throw new IntrospectError(`no such value in the graph`, of);
  for (const w of wrt) {
    if (!shapes.has(w)) throw new IntrospectError('cannot differentiate with respect to it: no such value in the graph', w);
    if (!isFloat(shapes.get(w).type)) throw new IntrospectError('cannot differentiate with respect to a non-float value', w);
  }
  const forward = [...b.nodes];

  // Values that depend on some `w` (through float values)...
  const active = new Set<Value>(wrt);
  const stopped = new Set(opts.stop ?? []);
  for (const n of forward) {
    if (n.inputs.some((v) => active.has(v))) for (const o of n.outputs) if (o && !stopped.has(o) && isFloat(shapes.get(o).type)) active.add(o);
  }
  // ...and that `of` depends on.
  const relevant = new Set<Value>([of]);
  for (let i = forward.length - 1; i >= 0; i--) {
    const n = forward[i];
    if (n.outputs.some((o) => relevant.has(o))) for (const v of n.inputs) if (active.has(v)) relevant.add(v);
  }
  const needs = (v: Value) => active.has(v) && relevant.has(v);

  const pending = new Map<Value, Value[]>();
  const push = (v: Value, g: Value) => pending.set(v, [...(pending.get(v) ?? []), g]);
  const total = (v: Value): Value | undefined => {
    const gs = pending.get(v);
    if (!gs) return undefined;
    const sum = gs.length === 1 ? gs[0] : e.op('Sum', gs);
    pending.set(v, [sum]);
    return sum;
  };

  return b.scope('grad', () => {
    if (opts.seed) push(of, opts.seed);
    else {
      if (shapes.rank(of) !== 0) throw new IntrospectError('the objective must be a scalar (or give a seed gradient)', of);
      push(of, e.scalar(1, shapes.get(of).type));
    }
    for (let i = forward.length - 1; i >= 0; i--) {
      const n = forward[i];
      if (!n.inputs.some(needs) || !n.outputs.some((o) => pending.has(o))) continue;
      const rule = RULES[n.op];
      if (!rule) throw new IntrospectError(`no gradient rule for op ${n.op} (node ${n.name})`, n.name);
      const dOut = n.outputs.map(total);
      const dIn = rule({ e, needs }, n, dOut);
      n.inputs.forEach((v, k) => {
        const g = dIn[k];
        if (g && needs(v)) push(v, g);
      });
    }
    return new Map(wrt.map((w) => [w, total(w) ?? e.zerosLike(w)]));
  });
}
