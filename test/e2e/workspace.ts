/** The sample workspace the real-VS-Code tests open: a binding program, a loop, a tiny real model, settings. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeModelDomain } from '../../engine/src/checkpoint/domain';
import { writeTinyCheckpoint } from '../../engine/src/checkpoint/tiny';
import { tinySeries } from '../studies/tinySeries';

/** A variable-binding program of the kind the engine's tasks generate; `e` ends a chain a → b → d → e. */
export const SAMPLE_PY = ['a = 5', 'b = a', 'c = 9', 'd = b', 'e = d', ''].join('\n');
export const SAMPLE_JS = ['const a = 5;', 'let b = a;', 'let c = b + 2;', ''].join('\n');
/** A range loop: outside the binding domain the workspace's model declares. */
export const LOOP_PY = ['total = 0', 'for i in range(4):', '    total += 3', ''].join('\n');
/** Code outside the interpreter's subset (`with`), which no counterfactual can be built for. */
export const UNSUPPORTED_PY = ['x = 2', 'with f:', '    x += 1', ''].join('\n');

export interface SampleWorkspace {
  dir: string;
  modelDir: string;
  resultsDir: string;
  /** A real developmental series (a tiny model trained a few steps) for the studies. */
  seriesDir: string;
}

/**
 * What a user sets for the tests in their own settings: predicted-vs-actual is machine-scoped, so a
 * workspace's `.vscode/settings.json` cannot turn it on (the sample workspace tries, and is ignored).
 */
export const TEST_USER_SETTINGS = { 'introspect.predictedVsActual': true };

export async function makeWorkspace(root: string): Promise<SampleWorkspace> {
  const dir = join(root, 'workspace');
  const modelDir = join(root, 'models', 'tiny-llama');
  const resultsDir = join(root, 'results');
  mkdirSync(join(dir, '.vscode'), { recursive: true });
  mkdirSync(resultsDir, { recursive: true });
  await writeTinyCheckpoint(modelDir, { modelType: 'llama', nLayers: 2, dModel: 32, nHeads: 4, seed: 7 });
  // Declared as the binding model's (models/binding-tracer) is: trained on binding programs, so a loop is outside it.
  writeModelDomain(modelDir, { kinds: ['binding'] });
  // A second family, for switching models.
  await writeTinyCheckpoint(join(root, 'models', 'tiny-qwen2'), { modelType: 'qwen2', nLayers: 2, dModel: 32, nHeads: 4, seed: 8 });
  const seriesDir = await tinySeries(join(root, 'train'));
  writeFileSync(join(dir, 'sample.py'), SAMPLE_PY);
  writeFileSync(join(dir, 'sample.js'), SAMPLE_JS);
  writeFileSync(join(dir, 'loop.py'), LOOP_PY);
  writeFileSync(join(dir, 'unsupported.py'), UNSUPPORTED_PY);
  writeFileSync(
    join(dir, '.vscode', 'settings.json'),
    JSON.stringify(
      {
        'introspect.model': modelDir,
        'introspect.device': 'cpu',
        'introspect.predictedVsActual': true,
        'introspect.resultsFolder': resultsDir,
        'introspect.hoverDelayMs': 0,
      },
      null,
      1,
    ),
  );
  return { dir, modelDir, resultsDir, seriesDir };
}
