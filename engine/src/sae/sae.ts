/**
 * A sparse autoencoder over one hook point's activations, with SAELens' definitions so numbers
 * compare:
 * - ReLU (SAELens "standard"): f = ReLU(W_enc (x − b_dec) + b_enc), x̂ = W_dec f + b_dec; loss =
 *   squared error summed over the input dimension and averaged over tokens, + λ · Σ_i f_i ‖W_dec,i‖.
 * - TopK: f keeps the k largest pre-activations (ReLU'd); loss = the same squared error + the AuxK
 *   loss, which reconstructs the residual x − x̂ from the top dead latents (Gao et al. 2024).
 * Parameters live in one flat vector (W_enc [d, m], b_enc [m], W_dec [m, d], b_dec [d]) that the
 * graphs here take as their input θ, so the engine's autodiff and one Adam step cover them all.
 * The inputs are scaled by `inputScale` first (SAELens' `normalize_activations:
 * expected_average_only_in`: the mean norm becomes √d).
 */
import * as ort from 'onnxruntime-node';
import { type PositionKind, SAE_KINDS, type SaeKind } from '../api/studies';
import type { Device } from '../api/types';
import { gradients } from '../autodiff/gradients';
import { sessionFor } from '../autodiff/session';
import { openSafetensors, writeSafetensors } from '../checkpoint/safetensors';
import { IntrospectError } from '../errors';
import type { BlockHookName } from '../hooks';
import { GraphBuilder, type Value } from '../onnx/builder';
import { NormalRng } from '../sampling/normal';

export interface SaeConfig {
  kind: SaeKind;
  dIn: number;
  latents: number;
  /** Latents kept per token (TopK). */
  k?: number;
  /** Multiplies every input before encoding (and divides the reconstruction after). */
  inputScale: number;
  /** Where the activations came from, for splicing the reconstruction back in. */
  hook?: BlockHookName;
  positions?: PositionKind;
}

export interface SaeLayout {
  size: number;
  wEnc: [number, number];
  bEnc: [number, number];
  wDec: [number, number];
  bDec: [number, number];
}

export function saeLayout(dIn: number, m: number): SaeLayout {
  const ranges: [number, number][] = [];
  let at = 0;
  for (const n of [dIn * m, m, m * dIn, dIn]) ranges.push([at, (at += n)]);
  const [wEnc, bEnc, wDec, bDec] = ranges;
  return { size: at, wEnc, bEnc, wDec, bDec };
}

export class Sae {
  readonly layout: SaeLayout;

  constructor(
    readonly config: SaeConfig,
    readonly theta: Float32Array,
  ) {
    checkConfig(config);
    this.layout = saeLayout(config.dIn, config.latents);
    if (theta.length !== this.layout.size) throw new IntrospectError(`${theta.length} parameters for d ${config.dIn} × ${config.latents} latents (needs ${this.layout.size})`, 'sae');
  }

  /**
   * SAELens' initialisation: decoder rows in random directions with norm 0.1 (ReLU; unit norm for
   * TopK, whose decoder rows are kept unit norm), W_enc = W_decᵀ, biases zero.
   */
  static init(config: SaeConfig, seed: number): Sae {
    const s = new Sae(config, new Float32Array(saeLayout(config.dIn, config.latents).size));
    const { dIn: d, latents: m } = config;
    const dec = s.view('wDec');
    new NormalRng(seed, 0, 7).fill(dec);
    s.normalizeDecoder(config.kind === 'relu' ? 0.1 : 1);
    const enc = s.view('wEnc');
    for (let i = 0; i < m; i++) for (let j = 0; j < d; j++) enc[j * m + i] = dec[i * d + j];
    return s;
  }

  view(part: keyof Omit<SaeLayout, 'size'>): Float32Array {
    const [a, b] = this.layout[part];
    return this.theta.subarray(a, b);
  }

  /** ‖W_dec,i‖ for every latent. */
  decoderNorms(): Float64Array {
    const { dIn: d, latents: m } = this.config;
    const dec = this.view('wDec');
    const out = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += dec[i * d + j] ** 2;
      out[i] = Math.sqrt(s);
    }
    return out;
  }

  /** Scales every decoder row to norm `to`. */
  normalizeDecoder(to = 1): void {
    const d = this.config.dIn;
    const dec = this.view('wDec');
    this.decoderNorms().forEach((n, i) => {
      const k = n > 0 ? to / n : 0;
      for (let j = 0; j < d; j++) dec[i * d + j] *= k;
    });
  }

  /** Decoder row i as a unit vector (a latent's direction in activation space). */
  direction(i: number): Float32Array {
    const d = this.config.dIn;
    const row = this.view('wDec').slice(i * d, (i + 1) * d);
    const n = Math.hypot(...row);
    return row.map((x) => (n > 0 ? x / n : 0));
  }

  async save(path: string, metadata: Record<string, string> = {}): Promise<void> {
    const { dIn: d, latents: m } = this.config;
    const f = (part: keyof Omit<SaeLayout, 'size'>, shape: number[]) => ({ dtype: 'float32' as const, shape, data: this.view(part) });
    await writeSafetensors(path, { W_enc: f('wEnc', [d, m]), b_enc: f('bEnc', [m]), W_dec: f('wDec', [m, d]), b_dec: f('bDec', [d]) }, { ...metadata, config: JSON.stringify(this.config) });
  }

  static async load(path: string): Promise<Sae> {
    const st = await openSafetensors(path);
    try {
      const raw = st.header.metadata.config;
      if (!raw) throw new IntrospectError('not an Introspect SAE file (no config in its metadata)', path);
      const config = JSON.parse(raw) as SaeConfig;
      const s = new Sae(config, new Float32Array(saeLayout(config.dIn, config.latents).size));
      for (const [name, part] of [['W_enc', 'wEnc'], ['b_enc', 'bEnc'], ['W_dec', 'wDec'], ['b_dec', 'bDec']] as const) s.view(part).set((await st.readFloat(name)).data);
      return s;
    } finally {
      await st.close();
    }
  }
}

function checkConfig(c: SaeConfig): void {
  if (!SAE_KINDS.includes(c.kind)) throw new IntrospectError(`unknown SAE kind "${c.kind}" (${SAE_KINDS.join(', ')})`, '--sae');
  for (const [k, v] of [['dIn', c.dIn], ['latents', c.latents]] as const) if (!Number.isSafeInteger(v) || v < 1) throw new IntrospectError(`must be a positive integer, got ${v}`, k);
  if (c.kind === 'topk' && (!Number.isSafeInteger(c.k) || c.k! < 1 || c.k! > c.latents)) throw new IntrospectError(`must be an integer in [1, ${c.latents}], got ${c.k}`, '--k');
  if (!(c.inputScale > 0) || !Number.isFinite(c.inputScale)) throw new IntrospectError(`must be a positive number, got ${c.inputScale}`, 'inputScale');
}

/** Names of the graphs' inputs and outputs. */
const THETA = 'theta';
const X = 'x';
const L1 = 'l1_coefficient';
const DEAD = 'dead_mask';
const K_AUX = 'k_aux';
const AUX_SCALE = 'aux_scale';

interface Encoded {
  b: GraphBuilder;
  x: Value;
  f: Value;
  pre: Value;
  xhat: Value;
  wDec: Value;
  bDec: Value;
}

/** x (already scaled) → f, x̂ on the flat θ. */
function encodeDecode(c: SaeConfig): Encoded {
  const b = new GraphBuilder('float32');
  const L = saeLayout(c.dIn, c.latents);
  const theta = b.input(THETA, 'float32', [L.size]);
  const x = b.input(X, 'float32', ['batch', c.dIn]);
  const part = ([s, e]: [number, number], shape: number[]) => b.reshape(b.slice(theta, 0, s, e), shape);
  const wEnc = part(L.wEnc, [c.dIn, c.latents]);
  const bEnc = part(L.bEnc, [c.latents]);
  const wDec = part(L.wDec, [c.latents, c.dIn]);
  const bDec = part(L.bDec, [c.dIn]);
  const pre = b.add(b.matmul(b.sub(x, bDec), wEnc), bEnc, 'hidden_pre');
  const f = c.kind === 'relu' ? b.op('Relu', [pre], {}, 'feature_acts') : topK(b, pre, b.constInt64([c.k!]), 'feature_acts');
  const xhat = b.add(b.matmul(f, wDec), bDec, 'sae_out');
  return { b, x, f, pre, xhat, wDec, bDec };
}

/** ReLU of the k largest entries of each row, zero elsewhere (ties at the k-th value all kept). */
function topK(b: GraphBuilder, pre: Value, k: Value, name: string): Value {
  const [values] = b.opN('TopK', [pre, k], 2, { axis: -1, largest: 1, sorted: 1 });
  const kth = b.op('ReduceMin', [values], { axes: [-1], keepdims: 1 });
  return b.where(b.op('GreaterOrEqual', [pre, kth]), b.op('Relu', [pre]), b.constant([0], [1]), name);
}

const sumSquares = (b: GraphBuilder, v: Value) => b.op('ReduceMean', [b.op('ReduceSum', [b.mul(v, v), b.constInt64([1])], { keepdims: 0 })], { axes: [0], keepdims: 0 });

export interface TrainStep {
  loss: number;
  mse: number;
  /** The sparsity penalty (ReLU, before λ) or the AuxK loss (TopK). */
  aux: number;
  /** Tokens each latent fired on in the batch. */
  fired: Float32Array;
}

/** The training graph: loss, its parts, dloss/dθ and per-latent firing counts of one batch. */
export class SaeTrainer {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly c: SaeConfig,
  ) {}

  static async create(c: SaeConfig, device: Device = 'cpu'): Promise<SaeTrainer> {
    checkConfig(c);
    const { b, x, f, pre, xhat, wDec } = encodeDecode(c);
    const mse = sumSquares(b, b.sub(xhat, x));
    let aux: Value;
    let loss: Value;
    const stop: Value[] = [];
    if (c.kind === 'relu') {
      const l1 = b.input(L1, 'float32', []);
      const norms = b.op('Sqrt', [b.op('ReduceSum', [b.mul(wDec, wDec), b.constInt64([1])], { keepdims: 1 })]);
      aux = b.op('ReduceMean', [b.matmul(f, norms)], { keepdims: 0 }, 'sparsity');
      loss = b.add(mse, b.mul(l1, aux), 'loss');
    } else {
      const dead = b.input(DEAD, 'bool', [c.latents]);
      const kAux = b.input(K_AUX, 'int64', [1]);
      const scale = b.input(AUX_SCALE, 'float32', []);
      const residual = b.sub(x, xhat, 'residual');
      stop.push(residual);
      const deadPre = b.where(dead, pre, b.constant([-1e30], [1]));
      const auxRecon = b.matmul(topK(b, deadPre, kAux, 'auxk_acts'), wDec);
      aux = b.mul(scale, sumSquares(b, b.sub(auxRecon, residual)), 'auxk_loss');
      loss = b.add(mse, aux, 'loss');
    }
    const grad = gradients(b, loss, [THETA], { stop }).get(THETA)!;
    const fired = b.op('ReduceSum', [b.cast(b.op('Greater', [f, b.constant([0], [1])]), 'float32'), b.constInt64([0])], { keepdims: 0 });
    b.output(loss, 'loss', 'float32', []);
    b.output(mse, 'mse', 'float32', []);
    b.output(aux, 'aux', 'float32', []);
    b.output(grad, 'grad', 'float32', [saeLayout(c.dIn, c.latents).size]);
    b.output(fired, 'fired', 'float32', [c.latents]);
    const { session } = await sessionFor(b, device);
    return new SaeTrainer(session, c);
  }

  /**
   * One batch `x` [n, d] (scaled). `l1`: λ (ReLU); `dead`: latents dead so far (TopK's AuxK,
   * which uses min(d/2, #dead) of them, scaled by min(#dead / (d/2), 1) as SAELens does).
   */
  async step(theta: Float32Array, x: Float32Array, o: { l1?: number; dead?: Uint8Array }, grad: Float32Array): Promise<TrainStep> {
    const { dIn: d, latents: m } = this.c;
    const feeds: Record<string, ort.Tensor> = {
      [THETA]: new ort.Tensor('float32', theta, [theta.length]),
      [X]: new ort.Tensor('float32', x, [x.length / d, d]),
    };
    if (this.c.kind === 'relu') feeds[L1] = new ort.Tensor('float32', Float32Array.of(o.l1 ?? 0), []);
    else {
      const dead = o.dead ?? new Uint8Array(m);
      const nDead = dead.reduce((a, v) => a + v, 0);
      const kAux = Math.floor(d / 2);
      feeds[DEAD] = new ort.Tensor('bool', dead, [m]);
      feeds[K_AUX] = new ort.Tensor('int64', BigInt64Array.of(BigInt(Math.max(1, Math.min(kAux, nDead)))), [1]);
      feeds[AUX_SCALE] = new ort.Tensor('float32', Float32Array.of(nDead ? Math.min(nDead / kAux, 1) : 0), []);
    }
    const out = await this.session.run(feeds);
    grad.set(out.grad.data as Float32Array);
    return { loss: Number(out.loss.data[0]), mse: Number(out.mse.data[0]), aux: Number(out.aux.data[0]), fired: out.fired.data as Float32Array };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** The forward graph: latent activations and reconstruction of unscaled activations. */
export class SaeEncoder {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly sae: Sae,
  ) {}

  static async create(sae: Sae, device: Device = 'cpu'): Promise<SaeEncoder> {
    const { b, f, xhat } = encodeDecode(sae.config);
    b.output(f, 'f', 'float32', ['batch', sae.config.latents]);
    b.output(xhat, 'xhat', 'float32', ['batch', sae.config.dIn]);
    return new SaeEncoder((await sessionFor(b, device)).session, sae);
  }

  /** `x` [n, d] as cached (unscaled) → f [n, m] and x̂ [n, d] in the same units as `x`. */
  async run(x: Float32Array): Promise<{ f: Float32Array; xhat: Float32Array }> {
    const { dIn: d, inputScale: s } = this.sae.config;
    const scaled = x.map((v) => v * s);
    const out = await this.session.run({ [THETA]: new ort.Tensor('float32', this.sae.theta, [this.sae.theta.length]), [X]: new ort.Tensor('float32', scaled, [x.length / d, d]) });
    return { f: out.f.data as Float32Array, xhat: (out.xhat.data as Float32Array).map((v) => v / s) };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
