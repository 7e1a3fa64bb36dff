/**
 * The architecture-neutral description of a decoder-only transformer, read from a Hugging Face
 * config.json by each family's adapter. The graph builder only ever sees this.
 */
import { IntrospectError } from '../errors';

export type Activation = 'silu' | 'gelu' | 'gelu_new';

export interface ModelSpec {
  family: 'llama' | 'gpt2' | 'gpt_neox';
  modelType: string;
  nLayers: number;
  dModel: number;
  nHeads: number;
  nKvHeads: number;
  dHead: number;
  dMlp: number;
  vocabSize: number;
  maxPositions: number;
  norm: 'rms' | 'layer';
  normEps: number;
  act: Activation;
  /** Gated MLP (down(act(gate(x)) * up(x))) instead of fc → act → proj. */
  gatedMlp: boolean;
  /** Rotary embedding on the first `rotaryDim` dims of each head; absent for learned positions. */
  rope?: { theta: number; rotaryDim: number };
  /** Qwen3: RMSNorm over each head's query and key before rotary. */
  qkNorm: boolean;
  /** GPT-NeoX: x + attn(ln1(x)) + mlp(ln2(x)). */
  parallelResidual: boolean;
  tiedEmbeddings: boolean;
}

/** Typed access to config.json fields, with errors naming the field. */
export class ConfigReader {
  constructor(
    private readonly cfg: Record<string, unknown>,
    private readonly file: string,
  ) {}

  has(key: string): boolean {
    return this.cfg[key] !== undefined && this.cfg[key] !== null;
  }

  raw(key: string): unknown {
    return this.cfg[key];
  }

  int(key: string, fallback?: number): number {
    const v = this.cfg[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
      throw new IntrospectError(`field "${key}" must be a positive integer, got ${JSON.stringify(v)}`, this.file);
    return v;
  }

  num(key: string, fallback?: number): number {
    const v = this.cfg[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new IntrospectError(`field "${key}" must be a number, got ${JSON.stringify(v)}`, this.file);
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.cfg[key] ?? fallback;
    if (typeof v !== 'boolean') throw new IntrospectError(`field "${key}" must be true or false`, this.file);
    return v;
  }

  str(key: string, fallback?: string): string {
    const v = this.cfg[key] ?? fallback;
    if (typeof v !== 'string') throw new IntrospectError(`field "${key}" must be a string`, this.file);
    return v;
  }

  /**
   * Rope settings: transformers 5 writes `rope_parameters: {rope_theta, rope_type, ...}`, older
   * checkpoints a top-level `rope_theta` (and `rope_scaling`). Only unscaled rope is supported.
   */
  rope(defaultTheta: number): { theta: number; partialFactor?: number } {
    const params = (this.cfg.rope_parameters ?? this.cfg.rope_scaling ?? {}) as Record<string, unknown>;
    const type = params.rope_type ?? params.type ?? 'default';
    if (type !== 'default')
      throw new IntrospectError(`rope type "${String(type)}" is not supported (only "default")`, this.file);
    const theta = (params.rope_theta ?? this.cfg.rope_theta ?? this.cfg.rotary_emb_base ?? defaultTheta) as number;
    const partial = (params.partial_rotary_factor ?? this.cfg.partial_rotary_factor ?? this.cfg.rotary_pct) as
      | number
      | undefined;
    return { theta, partialFactor: partial };
  }

  act(key: string, fallback?: string): Activation {
    const v = this.str(key, fallback);
    const map: Record<string, Activation> = {
      silu: 'silu',
      swish: 'silu',
      gelu: 'gelu',
      gelu_new: 'gelu_new',
      gelu_pytorch_tanh: 'gelu_new',
    };
    const a = map[v];
    if (!a) throw new IntrospectError(`activation "${v}" is not supported (${Object.keys(map).join(', ')})`, this.file);
    return a;
  }
}

export function checkSpec(s: ModelSpec, file: string): ModelSpec {
  if (s.nHeads % s.nKvHeads !== 0)
    throw new IntrospectError(
      `num_attention_heads (${s.nHeads}) must be a multiple of num_key_value_heads (${s.nKvHeads})`,
      file,
    );
  if (s.rope && (s.rope.rotaryDim % 2 !== 0 || s.rope.rotaryDim > s.dHead))
    throw new IntrospectError(`rotary dimension ${s.rope.rotaryDim} must be even and at most head_dim ${s.dHead}`, file);
  return s;
}
