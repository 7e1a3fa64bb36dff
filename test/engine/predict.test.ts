/** Prediction and KV-cached greedy generation on tiny real models. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeTinyCheckpoint } from '../../engine/src/checkpoint/tiny';
import { LoadedModel } from '../../engine/src/model';
import { argmax } from '../../engine/src/patching';
import { generate, predictNext, variablePrompt } from '../../engine/src/predict';

const root = mkdtempSync(join(tmpdir(), 'introspect-predict-'));
after(() => rmSync(root, { recursive: true, force: true }));

for (const modelType of ['llama', 'gpt2', 'gpt_neox'] as const) {
  describe(`prediction (${modelType})`, () => {
    let model: LoadedModel;
    before(async () => {
      await writeTinyCheckpoint(join(root, modelType), { modelType, seed: 11, nKvHeads: modelType === 'llama' ? 2 : undefined });
      model = await LoadedModel.load(join(root, modelType), { device: 'cpu', cacheDir: join(root, 'cache') });
    });
    after(() => model.dispose());

    test('predictNext: a probability distribution whose top-1 is the logits argmax', async () => {
      const prompt = variablePrompt('a = 3\nb = a\n', 'b');
      assert.equal(prompt, 'a = 3\nb = a\n#b:');
      const p = await predictNext(model, prompt, 5);
      const out = await model.forward([model.tokenizer.encodeIds(prompt)]);
      assert.equal(p.top[0].id, argmax(out.logits.data));
      assert.equal(p.top.length, 5);
      for (let i = 1; i < 5; i++) assert.ok(p.top[i].prob <= p.top[i - 1].prob);
      assert.ok(p.top.reduce((a, t) => a + t.prob, 0) <= 1 + 1e-6);
      assert.equal(p.top[0].text, model.tokenizer.tokenText(p.top[0].id));
    });

    test('generate (KV cache, batched, left-padded) = greedy decoding by full forward passes', async () => {
      const prompts = ['a = 3\nb = a\n#b:', 'x = 1\n#x:', 'q = 4\nr = q\ns = r\n#s:'];
      const got = await generate(model, prompts, { maxNewTokens: 6 });
      for (const [i, prompt] of prompts.entries()) {
        const ids = model.tokenizer.encodeIds(prompt);
        const added: number[] = [];
        for (let s = 0; s < 6; s++) {
          const out = await model.forward([[...ids, ...added]]);
          added.push(argmax(out.logits.data));
        }
        assert.equal(got[i], model.tokenizer.decode(added), `prompt ${i}`);
      }
    });
  });
}

test('variablePrompt replaces a query line the program already ends with', () => {
  assert.equal(variablePrompt('a = 3\nb = a\n#b:\n', 'b'), 'a = 3\nb = a\n#b:');
  assert.equal(variablePrompt('a = 3\nb = a\n#b: ', 'a'), 'a = 3\nb = a\n#a:');
  assert.equal(variablePrompt('# a comment\nx = 1', 'x'), '# a comment\nx = 1\n#x:');
});

test('variablePrompt rejects an empty program and a non-identifier', () => {
  assert.throws(() => variablePrompt('  \n', 'x'), /empty program/);
  assert.throws(() => variablePrompt('a = 1', '1x'), /not a variable name/);
});
