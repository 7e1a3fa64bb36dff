/**
 * The batch tracing experiment on a tiny random model: its result files, the averages in
 * patch_results.json recomputed from the per-program grids, resuming after an interruption, and
 * the heatmap PNGs.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PNG } from 'pngjs';
import type { Intervention } from '../../engine/src/api/types';
import { writeTinyCheckpoint } from '../../engine/src/checkpoint/tiny';
import { charTokenizerJson, CODE_CHARS } from '../../engine/src/checkpoint/tokenizerJson';
import { LoadedModel } from '../../engine/src/model';
import { bindingProgram } from '../../engine/src/tasks/binding';
import { Rng } from '../../engine/src/tasks/rng';
import { prepareTrace } from '../../engine/src/trace';
import { aggregate } from '../../engine/src/tracing/aggregate';
import { attributionGrid, pearson } from '../../engine/src/tracing/attribution';
import {
  DEFAULT_EXPERIMENT,
  INTERVENTION_RESULTS,
  type InterventionResultsFile,
  PATCH_RESULTS,
  type PatchResultsFile,
  plannedPrograms,
  runTraceExperiment,
  type TraceExperimentConfig,
} from '../../engine/src/tracing/experiment';

const tmp = mkdtempSync(join(tmpdir(), 'introspect-trace-exp-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const CONFIG: TraceExperimentConfig = {
  ...DEFAULT_EXPERIMENT,
  seqLens: [10],
  hops: [1, 2],
  programs: 3,
  seed: 3,
  interventions: ['resid', 'heads'],
  positions: 'targets',
  filter: { excludeHeuristic: true, requireCorrect: false },
  batchSize: 16,
};

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

describe('trace experiment', () => {
  let model: LoadedModel;
  before(async () => {
    await writeTinyCheckpoint(join(tmp, 'model'), {
      modelType: 'qwen3',
      nLayers: 2,
      dModel: 32,
      nHeads: 4,
      nKvHeads: 2,
      tokenizerJson: charTokenizerJson(),
      vocabSize: CODE_CHARS.length + 3,
      seed: 3,
    });
    model = await LoadedModel.load(join(tmp, 'model'), { device: 'cpu', cacheDir: join(tmp, 'cache') });
  });
  after(() => model.dispose());

  test('writes every program and cell, and averages that match the per-program grids', async () => {
    const out = join(tmp, 'run');
    const summary = await runTraceExperiment(model, out, { ...CONFIG, programPlots: true });
    const results = readJson<InterventionResultsFile>(join(out, INTERVENTION_RESULTS));
    const patch = readJson<PatchResultsFile>(join(out, PATCH_RESULTS));
    assert.deepEqual(patch.counts, JSON.parse(JSON.stringify(summary.counts)));
    assert.equal(results.programs.length, 6);
    assert.deepEqual(
      results.programs.map((p) => p.id),
      plannedPrograms(CONFIG).map((p) => p.id),
    );
    for (const p of results.programs) {
      // Each program is the task library's program for its own seed, queried in the paper format.
      const g = bindingProgram(p.seqLen, new Rng(p.seed), { hops: p.hops });
      assert.equal(p.prompt, g.program);
      assert.equal(p.answer, g.answer);
      assert.equal(p.heuristic, g.metadata.heuristic.reachable);
      assert.equal(p.status, 'done');
      const resid = p.grids!.resid!;
      const positions = [...new Set(p.targets!.map((t) => t.pos))].sort((a, b) => a - b);
      assert.deepEqual(resid.positions, positions);
      assert.deepEqual(resid.shape, [2, positions.length]);
      assert.equal(resid.metrics.normalized.length, 2 * positions.length);
      assert.deepEqual(p.grids!.heads!.shape, [2, 4]);
      assert.ok(existsSync(join(out, 'programs', `${p.id}_resid.png`)));
    }

    // Averages by hand: programs the heuristic cannot answer, each target's column, per layer.
    const counted = results.programs.filter((p) => !p.heuristic);
    const resid = patch.aggregates.find((a) => a.intervention === 'resid')!;
    assert.equal(resid.n, counted.length);
    assert.ok(counted.some((p) => p.hops === 2), 'the seed gives two-hop programs beyond the heuristic');
    for (const [label, cells] of Object.entries(resid.byTarget!)) {
      for (let l = 0; l < 2; l++) {
        const vals = counted.flatMap((p) => {
          const t = p.targets!.find((x) => x.label === label);
          if (!t) return [];
          const g = p.grids!.resid!;
          return [g.metrics.normalized[l * g.shape[1] + g.positions!.indexOf(t.pos)]];
        });
        assert.equal(cells[l].n, vals.length);
        const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
        assert.ok(Math.abs(cells[l].normalized - mean) < 1e-9, `${label} layer ${l}`);
      }
    }
    const maxHops = Math.max(...counted.map((p) => p.hops));
    assert.deepEqual(Object.keys(resid.byTarget!), [
      ...Array.from({ length: maxHops }, (_, d) => `Ref Depth ${d + 1} RHS`),
      'Query variable',
      'Final token',
    ]);
    const heads = patch.aggregates.find((a) => a.intervention === 'heads')!;
    const meanHead = counted.reduce((s, p) => s + p.grids!.heads!.metrics.success[5], 0) / counted.length;
    assert.ok(Math.abs(heads.byHead![5].success - meanHead) < 1e-9);
    // Per hops: the hops-1 averages count only one-hop programs.
    assert.equal(patch.byHops['1'][0].n, counted.filter((p) => p.hops === 1).length);

    // The filters, counted by hand from the records.
    const outcomes = results.programs.map((p) => ({ heuristic: p.heuristic, targets: p.targets!, grids: p.grids! }));
    const right = (p: (typeof results.programs)[number]) => {
      const g = p.grids!.resid!;
      return g.cleanTop1!.id === g.cleanAnswer.id && g.cfTop1!.id === g.cfAnswer.id;
    };
    assert.equal(aggregate(outcomes, 'resid', { excludeHeuristic: false, requireCorrect: false }).n, 6);
    assert.equal(aggregate(outcomes, 'resid', { excludeHeuristic: false, requireCorrect: true }).n, results.programs.filter(right).length);
    assert.equal(aggregate(outcomes, 'resid', { excludeHeuristic: true, requireCorrect: true }).n, counted.filter(right).length);
    assert.equal(patch.counts.wrong.resid, 6 - results.programs.filter(right).length);

    for (const name of ['heatmap_resid_normalized.png', 'heatmap_heads_success.png']) {
      const png = PNG.sync.read(readFileSync(join(out, name)));
      assert.ok(png.width > 100 && png.height > 100, name);
    }
  });

  test('an interrupted run resumes to the same results; a different config is refused', async () => {
    const whole = join(tmp, 'whole');
    await runTraceExperiment(model, whole, CONFIG);
    const part = join(tmp, 'part');
    const ctl = new AbortController();
    await assert.rejects(
      runTraceExperiment(model, part, CONFIG, { signal: ctl.signal, onProgress: (done) => done >= 2 && ctl.abort() }),
      /cancelled/,
    );
    assert.equal(readJson<InterventionResultsFile>(join(part, INTERVENTION_RESULTS)).programs.length, 2);
    let resumedFrom = -1;
    await runTraceExperiment(model, part, CONFIG, { onProgress: (done) => (resumedFrom = resumedFrom < 0 ? done : resumedFrom) });
    assert.equal(resumedFrom, 2);
    assert.deepEqual(readJson(join(part, INTERVENTION_RESULTS)), readJson(join(whole, INTERVENTION_RESULTS)));
    assert.deepEqual(readJson(join(part, PATCH_RESULTS)), readJson(join(whole, PATCH_RESULTS)));
    await assert.rejects(runTraceExperiment(model, part, { ...CONFIG, programs: 4 }), /different config/);
  });

  test('attribution patching is recorded at the same cells, with its correlation', async () => {
    const out = join(tmp, 'attr');
    const config = { ...CONFIG, hops: [2], programs: 2, interventions: ['resid', 'heads', 'knockout'] as Intervention[], attribution: true };
    const summary = await runTraceExperiment(model, out, config);
    const results = readJson<InterventionResultsFile>(join(out, INTERVENTION_RESULTS));
    for (const p of results.programs) {
      const code = p.prompt.split('\n').slice(0, -1).join('\n');
      const t = prepareTrace(model, code, p.variable);
      assert.equal(t.cf.cfPrompt.length, p.cfPrompt!.length);
      for (const i of ['resid', 'heads'] as const) {
        const g = p.grids![i]!;
        // Estimated by hand over the full grid, then read at the recorded grid's cells.
        const full = await attributionGrid(model, { ...t, cf: { ...t.cf, counterfactual: model.tokenizer.encode(p.cfPrompt!) } }, i, {
          clean: g.cleanAnswer.id,
          cf: g.cfAnswer.id,
        });
        const cols = g.shape[1];
        const expected = g.metrics.normalized.map((_, c) => {
          const l = Math.floor(c / cols);
          const col = i === 'resid' ? g.positions![c % cols] : c % cols;
          return full.normalized[l * full.shape[1] + col];
        });
        assert.equal(g.attribution!.normalized.length, expected.length);
        g.attribution!.normalized.forEach((x, c) => assert.ok(Math.abs(x - expected[c]) < 1e-4, `${p.id} ${i} cell ${c}`));
        assert.ok(Math.abs(g.attribution!.r - pearson(expected, g.metrics.normalized)) < 1e-4);
      }
      assert.equal(p.grids!.knockout!.attribution, undefined);
    }
    assert.deepEqual(Object.keys(summary.attribution!), ['resid', 'heads']);
  });

  test('bad configs are refused naming the field', async () => {
    await assert.rejects(runTraceExperiment(model, join(tmp, 'bad'), { ...CONFIG, hops: [5] }), /hops/);
    await assert.rejects(runTraceExperiment(model, join(tmp, 'bad'), { ...CONFIG, seqLens: [2], hops: [3] }), /3 hops need at least 3 lines/);
    await assert.rejects(runTraceExperiment(model, join(tmp, 'bad'), { ...CONFIG, interventions: ['nope' as 'resid'] }), /interventions/);
  });
});
