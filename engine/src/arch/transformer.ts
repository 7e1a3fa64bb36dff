/**
 * Builds the ONNX graph of a decoder-only transformer from a ModelSpec and canonical weights,
 * with a hook point at every activation in the hook vocabulary. A hook point is a graph node:
 * caching exposes it as an output; patching replaces it with `Where(mask, value, act)`, where
 * mask and value are graph inputs. A run is a pure function of its inputs.
 *
 * Inputs: input_ids [B,T] int64, attention_mask [B,T] int64 (1 = token, 0 = left padding).
 */
import { type BlockHookKind, hookName, isPerHead } from '../hooks';
import { type GraphBuilder, type Value } from '../onnx/builder';
import type { CanonicalWeights, LayerWeights, Linear, Norm } from './canonical';
import type { ModelSpec } from './spec';

export interface GraphVariant {
  /** Logits at every position [B,T,V], or at the last position only [B,V]. */
  logits: 'all' | 'last';
  /** Expose every hook point as an output (float32). */
  hooks: boolean;
  /** Hook kinds that take `patch.<hook>.mask` / `patch.<hook>.value` inputs. */
  patch: BlockHookKind[];
  /** Per-layer `knockout.blocks.<l>` inputs [B|1, H|1, T|1, T|1] bool: true blocks query → key. */
  knockout: boolean;
}

export const patchMaskInput = (layer: number, kind: BlockHookKind) => `patch.${hookName(layer, kind)}.mask`;
export const patchValueInput = (layer: number, kind: BlockHookKind) => `patch.${hookName(layer, kind)}.value`;
export const knockoutInput = (layer: number) => `knockout.blocks.${layer}`;

const F32_MIN = -3.4028234663852886e38;

export function buildTransformer(b: GraphBuilder, s: ModelSpec, w: CanonicalWeights, v: GraphVariant): void {
  const ids = b.input('input_ids', 'int64', ['batch', 'seq']);
  const mask = b.input('attention_mask', 'int64', ['batch', 'seq']);

  // Positions count real tokens only, so left padding does not shift them.
  const positions = b.op('Max', [b.sub(b.op('CumSum', [mask, b.constInt64([1], [])]), b.constInt64([1], [])), b.constInt64([0], [])]);
  let x = embed(b, s, w, ids, positions);
  const ctx: BlockContext = { rope: s.rope ? ropeTables(b, s, positions) : undefined, allowed: attentionAllowed(b, mask, mask) };
  for (let l = 0; l < s.nLayers; l++) x = buildBlock(b, s, w.layers[l], l, x, ctx, v).out;
  const logits = unembed(b, s, w, x, v.logits);
  b.output(toF32(b, logits), 'logits', 'float32', v.logits === 'last' ? ['batch', s.vocabSize] : ['batch', 'seq', s.vocabSize]);
}

/** Token (and learned position) embeddings. */
export function embed(b: GraphBuilder, s: ModelSpec, w: CanonicalWeights, ids: Value, positions: Value): Value {
  const x = b.gather(b.weight('embed', [s.vocabSize, s.dModel], w.embed), ids, 0, 'embed');
  return w.pos ? b.add(x, b.gather(b.weight('pos_embed', [s.maxPositions, s.dModel], w.pos), positions), 'embed_pos') : x;
}

/** Final norm and unembedding of x [B,T,D], at every position or the last one. */
export function unembed(b: GraphBuilder, s: ModelSpec, w: CanonicalWeights, x: Value, at: 'all' | 'last'): Value {
  let h = norm(b, s, x, w.finalNorm, 'ln_final');
  if (at === 'last') {
    const t = b.gather(b.op('Shape', [x]), b.constInt64([1], []), 0, 'seq_len');
    h = b.gather(h, b.sub(t, b.constInt64([1], [])), 1, 'last');
  }
  return linear(b, h, w.unembed, 'unembed');
}

/** What every block of one graph shares: rotary tables and which (query, key) pairs may attend. */
export interface BlockContext {
  rope?: RopeTables;
  /** [B|1, 1, Tq, Tk] bool. */
  allowed: Value;
  /** Keys and values of earlier positions, [B|1, Hkv, P, dh] each, prepended to this block's own. */
  past?: { k: Value; v: Value };
}

/**
 * One transformer block with its hook points. Returns the block output and the keys and values
 * attended to ([B, Hkv, P+T, dh], after rotary: the cached prefix, then this block's own).
 */
export function buildBlock(
  b: GraphBuilder,
  s: ModelSpec,
  lw: LayerWeights,
  l: number,
  x: Value,
  ctx: BlockContext,
  v: GraphVariant,
): { out: Value; k: Value; v: Value } {
  return b.scope(`blocks.${l}`, () => {
    const hook = (val: Value, kind: BlockHookKind) => hookPoint(b, s, v, l, kind, val);
    const resid = hook(x, 'hook_resid_pre');
    const attnIn = norm(b, s, resid, lw.ln1, 'ln1');
    let kOut = '';
    let vOut = '';
    const z = b.scope('attn', () => {
      const q = heads(b, linear(b, attnIn, lw.q, 'q'), s.nHeads, s.dHead);
      const k = heads(b, linear(b, attnIn, lw.k, 'k'), s.nKvHeads, s.dHead);
      const val = heads(b, linear(b, attnIn, lw.v, 'v'), s.nKvHeads, s.dHead);
      const qn = lw.qNorm ? rmsNorm(b, q, lw.qNorm, s.normEps, 'q_norm') : q;
      const kn = lw.kNorm ? rmsNorm(b, k, lw.kNorm, s.normEps, 'k_norm') : k;
      const qr = ctx.rope ? applyRope(b, qn, ctx.rope, s) : qn;
      const kr = ctx.rope ? applyRope(b, kn, ctx.rope, s) : kn;
      const kNew = b.transpose(kr, [0, 2, 1, 3], 'k_cache'); // [B,Hkv,T,dh]
      const vNew = b.transpose(val, [0, 2, 1, 3], 'v_cache');
      kOut = ctx.past ? b.concat([batchLike(b, ctx.past.k, x), kNew], 2, 'k_all') : kNew;
      vOut = ctx.past ? b.concat([batchLike(b, ctx.past.v, x), vNew], 2, 'v_all') : vNew;
      let allow = ctx.allowed;
      if (v.knockout) {
        const ko = b.input(knockoutInput(l), 'bool', [`ko_b${l}`, `ko_h${l}`, `ko_q${l}`, `ko_k${l}`]);
        allow = b.op('And', [allow, b.op('Not', [ko])], {}, 'allowed');
      }
      return hook(attention(b, s, qr, kOut, vOut, allow), 'attn.hook_z');
    });
    const attnOut = hook(linear(b, z, lw.o, 'attn.o'), 'hook_attn_out');
    const mid = s.parallelResidual ? resid : b.add(resid, attnOut, 'resid_mid');
    const mlpOut = hook(b.scope('mlp', () => mlp(b, s, norm(b, s, mid, lw.ln2, 'ln2'), lw)), 'hook_mlp_out');
    const post = s.parallelResidual ? b.add(b.add(resid, attnOut), mlpOut, 'resid_post') : b.add(mid, mlpOut, 'resid_post');
    return { out: hook(post, 'hook_resid_post'), k: kOut, v: vOut };
  });
}

/** `t` ([1|B, ...]) expanded to the batch size of `like` ([B, ...]); Concat does not broadcast. */
function batchLike(b: GraphBuilder, t: Value, like: Value): Value {
  const batch = b.op('Slice', [b.op('Shape', [like]), b.constInt64([0]), b.constInt64([1])]);
  return b.op('Expand', [t, b.concat([batch, b.constInt64([1, 1, 1])], 0)]);
}

/** Applies the patch (if this hook kind is patchable) and exposes the hook (if asked). */
function hookPoint(b: GraphBuilder, s: ModelSpec, v: GraphVariant, layer: number, kind: BlockHookKind, x: Value): Value {
  const perHead = isPerHead(kind);
  const name = hookName(layer, kind);
  let out = x;
  if (v.patch.includes(kind)) {
    const m = b.input(patchMaskInput(layer, kind), 'bool', perHead ? ['pb', 'pt', 'ph'] : ['pb', 'pt']);
    const val = b.input(patchValueInput(layer, kind), 'float32', ['pb', 'pt', 'pd']);
    const cond = b.unsqueeze(m, [-1]);
    // z is patched per head: value [B,T,H*dh] viewed as [B,T,H,dh].
    const value = perHead ? b.reshape(fromF32(b, val), [0, 0, s.nHeads, s.dHead]) : fromF32(b, val);
    out = b.where(cond, value, x, `${kind}.patched`);
  }
  if (perHead) out = b.reshape(out, [0, 0, s.nHeads * s.dHead], 'z');
  if (v.hooks) b.output(toF32(b, out), name, 'float32', ['batch', 'seq', perHead ? s.nHeads * s.dHead : s.dModel]);
  return out;
}

export const toF32 = (b: GraphBuilder, x: Value) => (b.dtype === 'float32' ? x : b.cast(x, 'float32'));
export const fromF32 = (b: GraphBuilder, x: Value) => (b.dtype === 'float32' ? x : b.cast(x, 'float16'));

function linear(b: GraphBuilder, x: Value, l: Linear, name: string): Value {
  const y = b.matmul(x, b.weight(`${name}.weight`, [l.inDim, l.outDim], l.w), name);
  return l.b ? b.add(y, b.weight(`${name}.bias`, [l.outDim], l.b), `${name}.out`) : y;
}

const heads = (b: GraphBuilder, x: Value, n: number, d: number) => b.reshape(x, [0, 0, n, d]);

function norm(b: GraphBuilder, s: ModelSpec, x: Value, n: Norm, name: string): Value {
  if (s.norm === 'rms') return rmsNorm(b, x, n.w, s.normEps, name);
  return b.scope(name, () => {
    const d = n.w.length;
    const bias = n.b ? b.weight('bias', [d], n.b) : b.constant(new Float32Array(d), [d], 'bias');
    return b.op('LayerNormalization', [x, b.weight('weight', [d], n.w), bias], { axis: -1, epsilon: { float: s.normEps } }, 'out');
  });
}

/** RMSNorm over the last axis, computed in float32 as transformers does. */
function rmsNorm(b: GraphBuilder, x: Value, weight: Float32Array, eps: number, name: string): Value {
  return b.scope(name, () => {
    const x32 = toF32(b, x);
    const ms = b.op('ReduceMean', [b.mul(x32, x32)], { axes: [-1], keepdims: 1 });
    const inv = b.op('Reciprocal', [b.op('Sqrt', [b.add(ms, b.constFloat32([eps], []))])]);
    const normed = fromF32(b, b.mul(x32, inv));
    return b.mul(normed, b.weight('weight', [weight.length], weight), 'out');
  });
}

export interface RopeTables {
  cos: Value; // [B,T,1,r]
  sin: Value;
}

export function ropeTables(b: GraphBuilder, s: ModelSpec, positions: Value): RopeTables {
  return b.scope('rope', () => {
    const r = s.rope!.rotaryDim;
    const inv = Array.from({ length: r / 2 }, (_, i) => 1 / Math.pow(s.rope!.theta, (2 * i) / r));
    const pos = b.unsqueeze(b.cast(positions, 'float32'), [-1]); // [B,T,1]
    const freqs = b.mul(pos, b.constFloat32(inv, [r / 2])); // [B,T,r/2]
    const emb = b.unsqueeze(b.concat([freqs, freqs], -1), [2]); // [B,T,1,r]
    return { cos: fromF32(b, b.op('Cos', [emb])), sin: fromF32(b, b.op('Sin', [emb])) };
  });
}

/** Rotary embedding on the first r dims of each head (x: [B,T,H,dh]), rotate-half convention. */
function applyRope(b: GraphBuilder, x: Value, t: RopeTables, s: ModelSpec): Value {
  const r = s.rope!.rotaryDim;
  const rot = r === s.dHead ? x : b.slice(x, 3, 0, r);
  const x1 = b.slice(rot, 3, 0, r / 2);
  const x2 = b.slice(rot, 3, r / 2, r);
  const half = b.concat([b.neg(x2), x1], 3);
  const out = b.add(b.mul(rot, t.cos), b.mul(half, t.sin), 'rope');
  return r === s.dHead ? out : b.concat([out, b.slice(x, 3, r, s.dHead)], 3);
}

/**
 * [B,1,Tq,Tk] bool: query i may attend key j. Queries are the last Tq of the Tk keys (a KV prefix
 * of Tk − Tq positions comes first); attention is causal, and keys where `keyMask` is 0 (padding) are off.
 */
export function attentionAllowed(b: GraphBuilder, queries: Value, keyMask: Value): Value {
  return b.scope('mask', () => {
    const len = (t: Value) => b.gather(b.op('Shape', [t]), b.constInt64([1], []), 0, 'len');
    const tq = len(queries);
    const tk = len(keyMask);
    const one = b.constInt64([1], []);
    const qIdx = b.add(b.op('Range', [b.constInt64([0], []), tq, one]), b.sub(tk, tq)); // absolute query positions
    const kIdx = b.op('Range', [b.constInt64([0], []), tk, one]);
    const causal = b.op('LessOrEqual', [b.unsqueeze(kIdx, [0]), b.unsqueeze(qIdx, [1])]); // [Tq,Tk]
    const keys = b.unsqueeze(b.cast(keyMask, 'bool'), [1, 2]); // [B,1,1,Tk]
    return b.op('And', [causal, keys], {}, 'allowed');
  });
}

/** Scaled dot-product attention with grouped KV heads. q: [B,T,H,dh], k/v: [B,Hkv,Tk,dh] → [B,T,H,dh]. */
function attention(b: GraphBuilder, s: ModelSpec, q: Value, k: Value, v: Value, allowed: Value): Value {
  const g = s.nHeads / s.nKvHeads;
  const expand = (t: Value) => {
    if (g === 1) return t;
    const e = b.op('Expand', [b.unsqueeze(t, [2]), b.constInt64([1, 1, g, 1, 1])]);
    return b.reshape(e, [0, s.nHeads, -1, s.dHead]);
  };
  const qh = b.transpose(q, [0, 2, 1, 3]);
  const kt = b.transpose(expand(k), [0, 1, 3, 2]); // [B,H,dh,Tk]
  const vh = expand(v);
  const scores = toF32(b, b.mul(b.matmul(qh, kt), b.constant([1 / Math.sqrt(s.dHead)], []), 'scores'));
  const masked = b.where(allowed, scores, b.constFloat32([F32_MIN], []), 'masked');
  const probs = fromF32(b, b.softmax(masked, -1));
  return b.transpose(b.matmul(probs, vh), [0, 2, 1, 3], 'z_heads');
}

function mlp(b: GraphBuilder, s: ModelSpec, x: Value, lw: CanonicalWeights['layers'][number]): Value {
  const up = linear(b, x, lw.up, 'up');
  const hidden = lw.gate ? b.mul(activation(b, s, linear(b, x, lw.gate, 'gate')), up, 'gated') : activation(b, s, up);
  return linear(b, hidden, lw.down, 'down');
}

function activation(b: GraphBuilder, s: ModelSpec, x: Value): Value {
  switch (s.act) {
    case 'silu':
      return b.mul(x, b.op('Sigmoid', [x]), 'silu');
    case 'gelu': {
      const e = b.op('Erf', [b.mul(x, b.constant([Math.SQRT1_2], []))]);
      return b.mul(b.mul(x, b.constant([0.5], [])), b.add(e, b.constant([1], [])), 'gelu');
    }
    case 'gelu_new': {
      const cube = b.mul(b.mul(x, x), x);
      const inner = b.mul(b.add(x, b.mul(cube, b.constant([0.044715], []))), b.constant([Math.sqrt(2 / Math.PI)], []));
      return b.mul(b.mul(x, b.constant([0.5], [])), b.add(b.op('Tanh', [inner]), b.constant([1], [])), 'gelu_new');
    }
  }
}
