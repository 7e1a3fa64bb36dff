/**
 * Data types that cross a boundary: engine ↔ CLI, engine ↔ extension (JSON-RPC), engine ↔
 * webviews, and result files on disk. Plain JSON only; defined once, imported everywhere.
 */
import type { BlockHookKind } from '../hooks';
import type { ProgramKind } from '../tasks/programKinds';

export type Device = 'auto' | 'cpu' | 'webgpu' | 'cuda';
export type DType = 'float32' | 'float16';

/** One token of a tokenized text with its character span [start, end) in that text. */
export interface TokenSpan {
  id: number;
  text: string;
  start: number;
  end: number;
}

export interface ModelInfo {
  /** Checkpoint folder. */
  dir: string;
  /** Display name (folder name, or `_name_or_path`). */
  name: string;
  modelType: string;
  nLayers: number;
  nHeads: number;
  dModel: number;
  vocabSize: number;
  /** The execution provider actually in use (after `auto` resolved). */
  device: Exclude<Device, 'auto'>;
  dtype: DType;
  /** The programs the model was trained on, when its folder declares them (introspect.json). */
  domain?: ModelDomain;
}

/** A model folder's declared domain: the program kinds its training data had. */
export interface ModelDomain {
  kinds: ProgramKind[];
}

export interface TopToken {
  id: number;
  text: string;
  prob: number;
  logit: number;
}

export interface Prediction {
  model: string;
  /** The prompt the model was given (code + query). */
  prompt: string;
  top: TopToken[];
  /**
   * The whole value when the model writes it in more than one token (`144` as `1`, `4`, `4`): its
   * greedy continuation from the top token while it writes a number; `prob` is the product of its
   * tokens' probabilities.
   */
  value?: { text: string; prob: number };
  latencyMs: number;
  /** Lines of the code's start left out so the prompt fits the model's context (hovers only). */
  omittedLines?: number;
  /** The model's context in tokens, when lines were left out. */
  contextTokens?: number;
  /** Why the code is outside the model's declared domain, so `top` is no prediction. */
  outOfDomain?: string;
}

/** What is patched in a sweep. `knockout` blocks attention from the final position to a source token. */
export type Intervention = 'resid' | 'mlp' | 'heads' | 'knockout';

/** The hook each patching intervention writes to. */
export const INTERVENTION_HOOK: Record<Exclude<Intervention, 'knockout'>, BlockHookKind> = {
  resid: 'hook_resid_pre',
  mlp: 'hook_mlp_out',
  heads: 'attn.hook_z',
};

export type Axis = 'layer' | 'pos' | 'head';

/**
 * A patching sweep's result: one value per cell, row-major over `axes` (already the shape of a
 * heatmap). Logits are those of the last position.
 */
export interface PatchGrid {
  intervention: Intervention;
  axes: Axis[];
  shape: number[];
  tokens: TokenSpan[];
  /** Answer token ids: the clean run's and the counterfactual's. */
  cleanAnswer: TopToken;
  cfAnswer: TopToken;
  /** Logit difference LD = logit[cf answer] − logit[clean answer] of the clean and cf runs. */
  ldClean: number;
  ldCf: number;
  metrics: {
    /** LD of each patched run. */
    ld: number[];
    /** (LD_patched − LD_clean) / (LD_cf − LD_clean). */
    normalized: number[];
    /** 1 where the patched top-1 is the counterfactual answer, else 0. */
    success: number[];
    /** Top-1 token id of each patched run. */
    top1: number[];
    /** 1 where the patched top-1 differs from the clean run's top-1 (the seed's "success"; for knockouts). */
    changed?: number[];
    /** The seed's metric: logit_patched[cf] − logit_clean[cf], divided by the grid's largest |value|. */
    seedLogit?: number[];
  };
  /** Layer of each `layer` index (absent: 0, 1, 2, ...). */
  layers?: number[];
  /** Token position of each `pos` index (absent: every token in order, as `tokens`). */
  positions?: number[];
  /** Head of each `head` index (absent: 0, 1, 2, ...). */
  heads?: number[];
  /** The unpatched runs' own top-1 tokens (whether the model answers right at all). */
  cleanTop1?: TopToken;
  cfTop1?: TopToken;
  /** The clean prompt (code + query line) and the counterfactual one, whose tokens line up. */
  prompt?: string;
  cfPrompt?: string;
  /** Labelled token positions: chain right-hand sides by referential depth, query variable, final token. */
  targets?: TraceTarget[];
  /** Why the code is outside the model's declared domain (the trace is of a model out of its depth). */
  outOfDomain?: string;
}

/** A token position a trace labels (seed naming: "Ref Depth 1 RHS" is the root literal). */
export interface TraceTarget {
  label: string;
  /** `rhs`: a binding chain's right-hand side; `literal`/`read`: a general program's changed literal and the lines reading what it altered. */
  kind: 'rhs' | 'literal' | 'read' | 'query' | 'final';
  /** Referential depth of the chain link, for `rhs` targets. */
  depth?: number;
  /** 0-based line of the prompt. */
  line?: number;
  /** Token position. */
  pos: number;
}
