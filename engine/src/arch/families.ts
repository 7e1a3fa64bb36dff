/**
 * One adapter per architecture family: how to read its config.json, which tensors its checkpoint
 * holds, and how they map onto the canonical weights. Each is data plus small functions.
 */
import type { Tensor } from '../checkpoint/safetensors';
import { IntrospectError, nearest } from '../errors';
import { type CanonicalWeights, columns, type LayerWeights, type Linear, ranges, transpose } from './canonical';
import { ConfigReader, checkSpec, type ModelSpec } from './spec';

export interface ParamInfo {
  name: string;
  shape: number[];
}

export interface Family {
  /** `model_type` values this adapter reads. */
  modelTypes: string[];
  spec(cfg: ConfigReader, file: string): ModelSpec;
  /** Every tensor the checkpoint must hold, with its shape, in Hugging Face naming. */
  parameters(s: ModelSpec): ParamInfo[];
  canonical(s: ModelSpec, get: (name: string) => Tensor): CanonicalWeights;
}

const linear = (t: Tensor, bias?: Tensor): Linear => ({
  w: transpose(t),
  b: bias?.data,
  inDim: t.shape[1],
  outDim: t.shape[0],
});

const llama: Family = {
  modelTypes: ['llama', 'qwen2', 'qwen3', 'mistral'],
  spec(c, file) {
    const modelType = c.str('model_type');
    const dModel = c.int('hidden_size');
    const nHeads = c.int('num_attention_heads');
    const dHead = c.has('head_dim') ? c.int('head_dim') : dModel / nHeads;
    return checkSpec(
      {
        family: 'llama',
        modelType,
        nLayers: c.int('num_hidden_layers'),
        dModel,
        nHeads,
        nKvHeads: c.int('num_key_value_heads', nHeads),
        dHead,
        dMlp: c.int('intermediate_size'),
        vocabSize: c.int('vocab_size'),
        maxPositions: c.int('max_position_embeddings', 2048),
        norm: 'rms',
        normEps: c.num('rms_norm_eps', 1e-6),
        act: c.act('hidden_act', 'silu'),
        gatedMlp: true,
        rope: { theta: c.rope(10000).theta, rotaryDim: dHead },
        qkNorm: modelType === 'qwen3',
        parallelResidual: false,
        tiedEmbeddings: c.bool('tie_word_embeddings', false),
      },
      file,
    );
  },
  parameters(s) {
    const qkvBias = s.modelType === 'qwen2';
    const p: ParamInfo[] = [{ name: 'model.embed_tokens.weight', shape: [s.vocabSize, s.dModel] }];
    for (let l = 0; l < s.nLayers; l++) {
      const a = `model.layers.${l}.self_attn`;
      const m = `model.layers.${l}.mlp`;
      p.push(
        { name: `model.layers.${l}.input_layernorm.weight`, shape: [s.dModel] },
        { name: `${a}.q_proj.weight`, shape: [s.nHeads * s.dHead, s.dModel] },
        { name: `${a}.k_proj.weight`, shape: [s.nKvHeads * s.dHead, s.dModel] },
        { name: `${a}.v_proj.weight`, shape: [s.nKvHeads * s.dHead, s.dModel] },
        { name: `${a}.o_proj.weight`, shape: [s.dModel, s.nHeads * s.dHead] },
      );
      if (qkvBias)
        p.push(
          { name: `${a}.q_proj.bias`, shape: [s.nHeads * s.dHead] },
          { name: `${a}.k_proj.bias`, shape: [s.nKvHeads * s.dHead] },
          { name: `${a}.v_proj.bias`, shape: [s.nKvHeads * s.dHead] },
        );
      if (s.qkNorm)
        p.push({ name: `${a}.q_norm.weight`, shape: [s.dHead] }, { name: `${a}.k_norm.weight`, shape: [s.dHead] });
      p.push(
        { name: `model.layers.${l}.post_attention_layernorm.weight`, shape: [s.dModel] },
        { name: `${m}.gate_proj.weight`, shape: [s.dMlp, s.dModel] },
        { name: `${m}.up_proj.weight`, shape: [s.dMlp, s.dModel] },
        { name: `${m}.down_proj.weight`, shape: [s.dModel, s.dMlp] },
      );
    }
    p.push({ name: 'model.norm.weight', shape: [s.dModel] });
    if (!s.tiedEmbeddings) p.push({ name: 'lm_head.weight', shape: [s.vocabSize, s.dModel] });
    return p;
  },
  canonical(s, get) {
    const opt = (n: string) => (s.modelType === 'qwen2' ? get(n) : undefined);
    const layers = Array.from({ length: s.nLayers }, (_, l): LayerWeights => {
      const a = `model.layers.${l}.self_attn`;
      const m = `model.layers.${l}.mlp`;
      return {
        ln1: { w: get(`model.layers.${l}.input_layernorm.weight`).data },
        ln2: { w: get(`model.layers.${l}.post_attention_layernorm.weight`).data },
        q: linear(get(`${a}.q_proj.weight`), opt(`${a}.q_proj.bias`)),
        k: linear(get(`${a}.k_proj.weight`), opt(`${a}.k_proj.bias`)),
        v: linear(get(`${a}.v_proj.weight`), opt(`${a}.v_proj.bias`)),
        o: linear(get(`${a}.o_proj.weight`)),
        qNorm: s.qkNorm ? get(`${a}.q_norm.weight`).data : undefined,
        kNorm: s.qkNorm ? get(`${a}.k_norm.weight`).data : undefined,
        gate: linear(get(`${m}.gate_proj.weight`)),
        up: linear(get(`${m}.up_proj.weight`)),
        down: linear(get(`${m}.down_proj.weight`)),
      };
    });
    const embed = get('model.embed_tokens.weight');
    return {
      embed: embed.data,
      layers,
      finalNorm: { w: get('model.norm.weight').data },
      unembed: linear(s.tiedEmbeddings ? embed : get('lm_head.weight')),
    };
  },
};

const gpt2: Family = {
  modelTypes: ['gpt2'],
  spec(c, file) {
    const dModel = c.int('n_embd');
    const nHeads = c.int('n_head');
    if (c.bool('scale_attn_by_inverse_layer_idx', false) || c.bool('reorder_and_upcast_attn', false))
      throw new IntrospectError('scale_attn_by_inverse_layer_idx / reorder_and_upcast_attn are not supported', file);
    return checkSpec(
      {
        family: 'gpt2',
        modelType: 'gpt2',
        nLayers: c.int('n_layer'),
        dModel,
        nHeads,
        nKvHeads: nHeads,
        dHead: dModel / nHeads,
        dMlp: c.has('n_inner') ? c.int('n_inner') : 4 * dModel,
        vocabSize: c.int('vocab_size'),
        maxPositions: c.int('n_positions'),
        norm: 'layer',
        normEps: c.num('layer_norm_epsilon', 1e-5),
        act: c.act('activation_function', 'gelu_new'),
        gatedMlp: false,
        qkNorm: false,
        parallelResidual: false,
        tiedEmbeddings: c.bool('tie_word_embeddings', true),
      },
      file,
    );
  },
  parameters(s) {
    const d = s.dModel;
    const p: ParamInfo[] = [
      { name: 'transformer.wte.weight', shape: [s.vocabSize, d] },
      { name: 'transformer.wpe.weight', shape: [s.maxPositions, d] },
    ];
    for (let l = 0; l < s.nLayers; l++) {
      const h = `transformer.h.${l}`;
      p.push(
        { name: `${h}.ln_1.weight`, shape: [d] },
        { name: `${h}.ln_1.bias`, shape: [d] },
        { name: `${h}.attn.c_attn.weight`, shape: [d, 3 * d] },
        { name: `${h}.attn.c_attn.bias`, shape: [3 * d] },
        { name: `${h}.attn.c_proj.weight`, shape: [d, d] },
        { name: `${h}.attn.c_proj.bias`, shape: [d] },
        { name: `${h}.ln_2.weight`, shape: [d] },
        { name: `${h}.ln_2.bias`, shape: [d] },
        { name: `${h}.mlp.c_fc.weight`, shape: [d, s.dMlp] },
        { name: `${h}.mlp.c_fc.bias`, shape: [s.dMlp] },
        { name: `${h}.mlp.c_proj.weight`, shape: [s.dMlp, d] },
        { name: `${h}.mlp.c_proj.bias`, shape: [d] },
      );
    }
    p.push({ name: 'transformer.ln_f.weight', shape: [d] }, { name: 'transformer.ln_f.bias', shape: [d] });
    if (!s.tiedEmbeddings) p.push({ name: 'lm_head.weight', shape: [s.vocabSize, d] });
    return p;
  },
  canonical(s, get) {
    const d = s.dModel;
    // Conv1D stores [in, out] already.
    const conv = (w: Tensor, b: Tensor): Linear => ({ w: w.data, b: b.data, inDim: w.shape[0], outDim: w.shape[1] });
    const layers = Array.from({ length: s.nLayers }, (_, l): LayerWeights => {
      const h = `transformer.h.${l}`;
      const qkv = get(`${h}.attn.c_attn.weight`).data;
      const qkvB = get(`${h}.attn.c_attn.bias`).data;
      const part = (i: number): Linear => ({
        w: columns(qkv, d, 3 * d, i * d, d),
        b: qkvB.slice(i * d, (i + 1) * d),
        inDim: d,
        outDim: d,
      });
      return {
        ln1: { w: get(`${h}.ln_1.weight`).data, b: get(`${h}.ln_1.bias`).data },
        ln2: { w: get(`${h}.ln_2.weight`).data, b: get(`${h}.ln_2.bias`).data },
        q: part(0),
        k: part(1),
        v: part(2),
        o: conv(get(`${h}.attn.c_proj.weight`), get(`${h}.attn.c_proj.bias`)),
        up: conv(get(`${h}.mlp.c_fc.weight`), get(`${h}.mlp.c_fc.bias`)),
        down: conv(get(`${h}.mlp.c_proj.weight`), get(`${h}.mlp.c_proj.bias`)),
      };
    });
    const wte = get('transformer.wte.weight');
    return {
      embed: wte.data,
      pos: get('transformer.wpe.weight').data,
      layers,
      finalNorm: { w: get('transformer.ln_f.weight').data, b: get('transformer.ln_f.bias').data },
      unembed: linear(s.tiedEmbeddings ? wte : get('lm_head.weight')),
    };
  },
};

const gptNeox: Family = {
  modelTypes: ['gpt_neox'],
  spec(c, file) {
    const dModel = c.int('hidden_size');
    const nHeads = c.int('num_attention_heads');
    const dHead = dModel / nHeads;
    const rope = c.rope(10000);
    return checkSpec(
      {
        family: 'gpt_neox',
        modelType: 'gpt_neox',
        nLayers: c.int('num_hidden_layers'),
        dModel,
        nHeads,
        nKvHeads: nHeads,
        dHead,
        dMlp: c.int('intermediate_size'),
        vocabSize: c.int('vocab_size'),
        maxPositions: c.int('max_position_embeddings', 2048),
        norm: 'layer',
        normEps: c.num('layer_norm_eps', 1e-5),
        act: c.act('hidden_act', 'gelu'),
        gatedMlp: false,
        rope: { theta: rope.theta, rotaryDim: Math.floor(dHead * (rope.partialFactor ?? 0.25)) },
        qkNorm: false,
        parallelResidual: c.bool('use_parallel_residual', true),
        tiedEmbeddings: c.bool('tie_word_embeddings', false),
      },
      file,
    );
  },
  parameters(s) {
    const d = s.dModel;
    const p: ParamInfo[] = [{ name: 'gpt_neox.embed_in.weight', shape: [s.vocabSize, d] }];
    for (let l = 0; l < s.nLayers; l++) {
      const x = `gpt_neox.layers.${l}`;
      p.push(
        { name: `${x}.input_layernorm.weight`, shape: [d] },
        { name: `${x}.input_layernorm.bias`, shape: [d] },
        { name: `${x}.attention.query_key_value.weight`, shape: [3 * d, d] },
        { name: `${x}.attention.query_key_value.bias`, shape: [3 * d] },
        { name: `${x}.attention.dense.weight`, shape: [d, d] },
        { name: `${x}.attention.dense.bias`, shape: [d] },
        { name: `${x}.post_attention_layernorm.weight`, shape: [d] },
        { name: `${x}.post_attention_layernorm.bias`, shape: [d] },
        { name: `${x}.mlp.dense_h_to_4h.weight`, shape: [s.dMlp, d] },
        { name: `${x}.mlp.dense_h_to_4h.bias`, shape: [s.dMlp] },
        { name: `${x}.mlp.dense_4h_to_h.weight`, shape: [d, s.dMlp] },
        { name: `${x}.mlp.dense_4h_to_h.bias`, shape: [d] },
      );
    }
    p.push(
      { name: 'gpt_neox.final_layer_norm.weight', shape: [d] },
      { name: 'gpt_neox.final_layer_norm.bias', shape: [d] },
    );
    if (!s.tiedEmbeddings) p.push({ name: 'embed_out.weight', shape: [s.vocabSize, d] });
    return p;
  },
  canonical(s, get) {
    const { nHeads: H, dHead: dh, dModel: d } = s;
    const layers = Array.from({ length: s.nLayers }, (_, l): LayerWeights => {
      const x = `gpt_neox.layers.${l}`;
      const qkv = get(`${x}.attention.query_key_value.weight`); // rows: per head [q, k, v] × d_head
      const qkvB = get(`${x}.attention.query_key_value.bias`).data;
      const part = (i: number): Linear => {
        const rows = Array.from({ length: H }, (_, h): [number, number] => [(h * 3 + i) * dh, dh]);
        const w = ranges(qkv.data, rows.map(([r, n]) => [r * d, n * d]));
        return { ...linear({ dtype: 'float32', shape: [H * dh, d], data: w }), b: ranges(qkvB, rows) };
      };
      return {
        ln1: { w: get(`${x}.input_layernorm.weight`).data, b: get(`${x}.input_layernorm.bias`).data },
        ln2: { w: get(`${x}.post_attention_layernorm.weight`).data, b: get(`${x}.post_attention_layernorm.bias`).data },
        q: part(0),
        k: part(1),
        v: part(2),
        o: linear(get(`${x}.attention.dense.weight`), get(`${x}.attention.dense.bias`)),
        up: linear(get(`${x}.mlp.dense_h_to_4h.weight`), get(`${x}.mlp.dense_h_to_4h.bias`)),
        down: linear(get(`${x}.mlp.dense_4h_to_h.weight`), get(`${x}.mlp.dense_4h_to_h.bias`)),
      };
    });
    const embed = get('gpt_neox.embed_in.weight');
    return {
      embed: embed.data,
      layers,
      finalNorm: { w: get('gpt_neox.final_layer_norm.weight').data, b: get('gpt_neox.final_layer_norm.bias').data },
      unembed: linear(s.tiedEmbeddings ? embed : get('embed_out.weight')),
    };
  },
};

export const FAMILIES: readonly Family[] = [llama, gpt2, gptNeox];

export function familyFor(modelType: unknown, file: string): Family {
  const all = FAMILIES.flatMap((f) => f.modelTypes);
  const fam = FAMILIES.find((f) => f.modelTypes.includes(String(modelType)));
  if (!fam) {
    const hint = typeof modelType === 'string' ? ` (nearest: "${nearest(modelType, all)}")` : '';
    throw new IntrospectError(
      `unsupported model_type ${JSON.stringify(modelType)}${hint}; supported: ${all.join(', ')}`,
      file,
    );
  }
  return fam;
}

/** Reads config.json into a spec, choosing the family by `model_type`. */
export function specFromConfig(config: Record<string, unknown>, file: string): { family: Family; spec: ModelSpec } {
  const family = familyFor(config.model_type, file);
  return { family, spec: family.spec(new ConfigReader(config, file), file) };
}

/**
 * Canonical weights from a checkpoint's tensors, checking every expected tensor is present with
 * its expected shape (strict, like `load_state_dict(strict=True)`).
 */
export function canonicalWeights(
  family: Family,
  spec: ModelSpec,
  tensors: Map<string, Tensor>,
  source: string,
): CanonicalWeights {
  const expected = family.parameters(spec);
  const names = [...tensors.keys()];
  for (const p of expected) {
    const t = tensors.get(p.name);
    if (!t) {
      const near = nearest(p.name, names);
      throw new IntrospectError(`missing tensor "${p.name}"${near ? ` (nearest present: "${near}")` : ''}`, source);
    }
    if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i]))
      throw new IntrospectError(
        `tensor "${p.name}" has shape [${t.shape}] but config.json implies [${p.shape}]`,
        source,
      );
  }
  return family.canonical(spec, (n) => tensors.get(n)!);
}
