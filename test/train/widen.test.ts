/**
 * Widening a model's vocabulary: the widened folder computes the same logits on the old tokens
 * through the inference path, has rows for the new ones, takes the longer context, and is what a
 * recipe starts from when its tokenizer extends the model's.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { charTokenizerJson } from '../../engine/src/checkpoint/tokenizerJson';
import { writeTinyCheckpoint } from '../../engine/src/checkpoint/tiny';
import { initialModel } from '../../engine/src/train/initialModel';
import { folderLogits } from './folderLogits';
import { widened } from '../../engine/src/train/widen';
import { loadParameters } from '../../engine/src/autodiff/load';

const root = mkdtempSync(join(tmpdir(), 'introspect-widen-'));
after(() => rmSync(root, { recursive: true, force: true }));

const oldChars = [...'abc= \n'];
const newChars = [...oldChars, ...'xyz+'];

describe('widen', () => {
  test("a recipe whose tokenizer extends the model's starts from the model widened: same logits on old tokens", async () => {
    const source = join(root, 'source');
    await writeTinyCheckpoint(source, { modelType: 'llama', nLayers: 2, dModel: 16, nHeads: 2, seed: 7, initStd: 0.2, maxPositions: 32, tokenizerJson: charTokenizerJson(oldChars), vocabSize: 3 + oldChars.length });
    const tokenizerJson = charTokenizerJson(newChars, [['x', '+']]);
    const vocabSize = 3 + newChars.length + 1;
    const start = await initialModel(join(root, 'run'), { modelType: 'llama', tokenizerJson, vocabSize, maxPositions: 64, seed: 9, initStd: 0.2 }, source);
    assert.equal(start.tokenizerJson, JSON.stringify(tokenizerJson));
    assert.equal(start.layout.spec.vocabSize, vocabSize);
    assert.equal(start.layout.spec.maxPositions, 64);
    const init = join(root, 'run', 'init');
    assert.equal(readFileSync(join(init, 'tokenizer.json'), 'utf8'), JSON.stringify(tokenizerJson));

    const rows = [[3, 4, 5, 6, 7, 8, 3, 4], [8, 7, 6, 5, 4, 3, 5, 5]];
    const logits = (dir: string) => folderLogits(dir, rows, join(root, 'cache'));
    const [a, b] = [await logits(source), await logits(init)];
    const V0 = 3 + oldChars.length;
    let d = 0;
    for (let p = 0; p < a.length / V0; p++) for (let v = 0; v < V0; v++) d = Math.max(d, Math.abs(a[p * V0 + v] - b[p * vocabSize + v]));
    assert.ok(d < 1e-5, `max |Δ logit| ${d}`);
    // The new tokens' rows are drawn, not left zero: they can be told apart from the start.
    const newRows = b.subarray(vocabSize - 5, vocabSize);
    assert.ok(new Set(newRows).size === 5);
  });

  test('a smaller vocabulary is refused', async () => {
    const m = await loadParameters(join(root, 'source'));
    assert.throws(() => widened(m, { vocabSize: 4, seed: 1, initStd: 0.02 }), /cannot hold the model's 9/);
  });
});
