/**
 * Cached graphs are keyed by GRAPH_FORMAT, not by the builder's code. This golden test fails when
 * the graphs the builder emits change, as a reminder to bump GRAPH_FORMAT (so users' caches do not
 * serve stale graphs) and then record the new structure hash here.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { canonicalWeights, specFromConfig } from '../../engine/src/arch/families';
import { buildBlockGraph, buildEmbedGraph, buildHeadGraph } from '../../engine/src/arch/layerGraphs';
import { buildTransformer } from '../../engine/src/arch/transformer';
import { loadCheckpointFolder } from '../../engine/src/checkpoint/folder';
import { type TinyModelType, writeTinyCheckpoint } from '../../engine/src/checkpoint/tiny';
import { BLOCK_HOOK_KINDS } from '../../engine/src/hooks';
import { GraphBuilder } from '../../engine/src/onnx/builder';
import { GRAPH_FORMAT } from '../../engine/src/runtime/graphCache';

const GOLDEN = { format: 2, hash: '3197b45b0329d683' };

test('graph structure is what GRAPH_FORMAT says', async () => {
  const root = mkdtempSync(join(tmpdir(), 'introspect-format-'));
  const h = createHash('sha256');
  for (const modelType of ['qwen3', 'gpt2', 'gpt_neox'] as TinyModelType[]) {
    const dir = join(root, modelType);
    await writeTinyCheckpoint(dir, { modelType, nLayers: 1, dModel: 16, nHeads: 2 });
    const { config, weights } = await loadCheckpointFolder(dir);
    const { spec, family } = specFromConfig(config, 'config.json');
    const w = canonicalWeights(family, spec, weights, dir);
    const builds = [
      (b: GraphBuilder) => buildTransformer(b, spec, w, { logits: 'last', hooks: false, patch: [], knockout: false }),
      (b: GraphBuilder) => buildTransformer(b, spec, w, { logits: 'all', hooks: true, patch: [...BLOCK_HOOK_KINDS], knockout: true }),
      (b: GraphBuilder) => buildEmbedGraph(b, spec, w),
      (b: GraphBuilder) => buildBlockGraph(b, spec, w, 0),
      (b: GraphBuilder) => buildHeadGraph(b, spec, w),
    ];
    for (const dtype of ['float32', 'float16'] as const)
      for (const build of builds) {
        const b = new GraphBuilder(dtype);
        build(b);
        h.update(JSON.stringify([b.nodes, b.inputs, b.outputs, b.initializers.map((i) => [i.name, i.type, i.dims])]));
      }
  }
  rmSync(root, { recursive: true, force: true });
  const hash = h.digest('hex').slice(0, 16);
  assert.equal(GRAPH_FORMAT, GOLDEN.format, 'GRAPH_FORMAT changed: record the new structure hash in GOLDEN');
  assert.equal(hash, GOLDEN.hash, `graph structure changed (now ${hash}): bump GRAPH_FORMAT in engine/src/runtime/graphCache.ts, then update GOLDEN`);
});
