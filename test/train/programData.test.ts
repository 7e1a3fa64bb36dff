/**
 * The program-tracer recipe's data: its tokenizer reads binding programs exactly as the binding
 * model's does (so that model can be its starting point), and every supervised value — the answer
 * after `#x:`, the boolean line values and the running values of integer programs — is what the
 * project's interpreter computes, checked here independently of the generators.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runPython } from '../../engine/src/tasks/interpreter';
import { Tokenizer } from '../../engine/src/tokenizer';
import { bindingExamples, bindingTokenizerJson, encoderOf } from '../../experiments/train/bindingScore';
import { KIND_GENERATORS, kindExamples, programTokenizerJson, withAnswerEnds } from '../../experiments/train/programData';

const json = programTokenizerJson();
const tok = Tokenizer.fromJson(json);
const encode = encoderOf(json);

describe('program-tracer data', () => {
  test('binding programs tokenize as under the binding tokenizer, every binding token at its old id', () => {
    const old = bindingTokenizerJson('char') as { model: { vocab: Record<string, number> } };
    const wide = json as { model: { vocab: Record<string, number> } };
    for (const [t, id] of Object.entries(old.model.vocab)) assert.equal(wide.model.vocab[t], id, t);
    const o = { queries: 8, lineValues: true, spacedQueries: 0.5 };
    const a = bindingExamples(encoderOf(old), 4, 0, 64, o);
    const b = bindingExamples(encode, 4, 0, 64, o);
    assert.deepEqual(b, a);
  });

  for (const g of KIND_GENERATORS) {
    test(`${g.name}: the answer after #${g.variable}: is the interpreter's value; lengths 1–${g.maxLength} fit 256 positions`, () => {
      const examples = kindExamples(encode, g, 5, 0, 40, { lineValues: true, startValues: 0.5, runningValues: true });
      assert.ok(new Set(examples.map((e) => e.seqLen)).size > 1);
      // Half the programs the generator starts at 0 start from another digit.
      const starts = examples.map((e) => /^\w+ = (\d+)\n/.exec(tok.decode(e.ids))?.[1]).filter((d) => d !== undefined);
      if (starts.length && kindExamples(encode, g, 5, 0, 40).every((e) => /^\w+ = 0\n/.test(tok.decode(e.ids))))
        assert.ok(starts.includes('0') && starts.some((d) => d !== '0'), starts.join(','));
      for (const e of examples) {
        const text = tok.decode(e.ids);
        assert.equal(tok.decode(e.ids.slice(0, e.answers[0])).endsWith(`\n#${g.variable}:`), true);
        assert.equal(e.answers.at(-1), e.ids.length - 1);
        const program = text.slice(0, text.lastIndexOf('\n#'));
        const value = runPython(program).get(g.variable);
        assert.equal(tok.decode(e.ids.slice(e.answers[0])), `${value === true ? 'True' : value === false ? 'False' : value}\n`);
        assert.ok(e.ids.length <= 256, `${e.ids.length} tokens`);
        if (typeof value !== 'boolean') {
          assert.equal(e.lineValues, undefined);
          // Running values: each spelled from a line's newline on, the value of the program up to that line, run; before the query.
          const { at, labels } = e.runningValues!;
          assert.ok(at.every((t, i) => i === 0 || t > at[i - 1]) && (at.at(-1) ?? 0) < e.answers[0] - 3);
          const spelled = tok.decode(labels).split('\n').slice(0, -1);
          let j = 0;
          for (const v of spelled) {
            const upTo = tok.decode(e.ids.slice(0, at[j]));
            assert.equal(tok.tokenText(e.ids[at[j]]), '\n');
            assert.equal(String(runPython(upTo).get(g.variable)), v, upTo);
            j += encode(`${v}\n`).length;
          }
          assert.equal(j, at.length);
          if (['plus_minus', 'variable_increments', 'exception'].includes(g.name) && e.seqLen > 1) assert.ok(spelled.length >= 2, text);
        } else {
          // Each line's value: the program up to that line, run, the variable it assigns.
          const lines = program.split('\n');
          assert.equal(e.lineValues!.at.length, lines.length);
          lines.forEach((line, i) => {
            const v = runPython(lines.slice(0, i + 1).join('\n')).get(line.split(' ')[0]);
            assert.equal(tok.tokenText(e.lineValues!.labels[i]), v ? 'True' : 'False');
            assert.equal(tok.tokenText(e.ids[e.lineValues!.at[i]]), '\n');
          });
        }
      }
    });
  }

  test('binding answers can be given ends: a supervised newline after each', () => {
    const [newline] = encode('\n');
    const plain = bindingExamples(encode, 4, 0, 16, { queries: 3 });
    const ended = withAnswerEnds(plain, newline);
    ended.forEach((e, i) => {
      assert.deepEqual(e.ids, [...plain[i].ids, newline]);
      assert.equal(e.answers.length, 2 * plain[i].answers.length);
      for (const a of plain[i].answers) assert.ok(e.answers.includes(a) && e.answers.includes(a + 1) && e.ids[a + 1] === newline);
    });
  });

  test('the pieces programs repeat are single tokens', () => {
    const pieces = (s: string) => encode(s).map((id) => tok.tokenText(id));
    assert.deepEqual(pieces('try:\n    result += 8 // 0'), ['try:', '\n', '    ', 'result', ' += ', '8', ' // ', '0']);
    assert.deepEqual(pieces('x = not x'), ['x', ' ', '=', ' ', 'not ', 'x']);
  });
});
