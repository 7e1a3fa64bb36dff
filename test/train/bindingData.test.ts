/**
 * The binding-tracer recipe's training data: every supervised answer and line value is the digit the
 * program really binds (checked by following the assignments here, independently of the recipe).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bindingExamples, bindingTokenizerJson, encoderOf, LINES } from '../../experiments/train/bindingScore';
import { Tokenizer } from '../../engine/src/tokenizer';

/** The digit `v` ends up holding, following `v = w` lines back to a digit. */
function resolve(program: string, v: string): string {
  const rhs = new Map([...program.matchAll(/^([a-z]) = (\w)$/gm)].map((m) => [m[1], m[2]]));
  let x = v;
  while (/[a-z]/.test(x)) x = rhs.get(x)!;
  return x;
}

for (const tokens of ['char', 'lhs'] as const) {
  describe(`binding-tracer examples (${tokens} tokens)`, () => {
    const json = bindingTokenizerJson(tokens);
    const tok = Tokenizer.fromJson(json);
    const encode = encoderOf(json);

    test('the paper format: one answer, the last token, the digit the query holds', () => {
      for (const ex of bindingExamples(encode, 3, 0, 20)) {
        const text = tok.decode(ex.ids);
        assert.deepEqual(ex.answers, [ex.ids.length - 1]);
        const query = /#([a-z]):(\d)$/.exec(text)!;
        assert.equal(query[2], resolve(text, query[1]));
        assert.equal(text.split('\n').length, LINES + 1);
        assert.equal(ex.lineValues, undefined);
      }
    });

    test('extra queries and line values supervise the digits the program binds', () => {
      for (const ex of bindingExamples(encode, 3, 1, 20, { queries: 4, lineValues: true })) {
        const text = tok.decode(ex.ids);
        assert.equal(ex.answers.length, 4);
        for (const a of ex.answers) {
          const asked = tok.tokenText(ex.ids[a - 2]);
          assert.equal(tok.tokenText(ex.ids[a]), resolve(text, asked));
        }
        const lines = text.split('\n').slice(0, LINES);
        assert.equal(ex.lineValues!.at.length, LINES);
        ex.lineValues!.at.forEach((p, i) => {
          assert.equal(tok.tokenText(ex.ids[p]), '\n');
          assert.equal(tok.tokenText(ex.ids[p - 1]), lines[i].slice(-1), 'predicted from the line\'s last token');
          assert.equal(tok.tokenText(ex.lineValues!.labels[i]), resolve(text, lines[i][0]));
        });
      }
    });

    test("spaced extra queries (`#v: d`, the seed benchmark's form) supervise the digit after the space", () => {
      for (const ex of bindingExamples(encode, 3, 4, 20, { queries: 4, spacedQueries: 1 })) {
        const text = tok.decode(ex.ids);
        assert.equal(ex.answers.length, 4);
        assert.match(text.split('\n')[LINES], /^#[a-z]:\d$/, "the paper's query stays as it is");
        const extra = text.split('\n').slice(LINES + 1);
        assert.equal(extra.length, 3);
        for (const q of extra) assert.match(q, /^#[a-z]: \d$/);
        for (const a of ex.answers) {
          assert.match(tok.tokenText(ex.ids[a]), /^\d$/);
          const asked = tok.tokenText(ex.ids[a - (tok.tokenText(ex.ids[a - 1]) === ' ' ? 3 : 2)]);
          assert.equal(tok.tokenText(ex.ids[a]), resolve(text, asked));
        }
      }
    });

    test('heuristic-free programs, and hop and length curricula', () => {
      const ex = bindingExamples(encode, 3, 2, 16, { heuristicFree: 10, maxHops: 2, queries: 3 });
      assert.ok(ex.slice(0, 10).every((e) => !e.heuristic));
      assert.ok(ex.every((e) => e.hops <= 2));
      for (const e of bindingExamples(encode, 3, 3, 8, { lines: 4, lineValues: true })) {
        assert.equal(tok.decode(e.ids.slice(0, e.answers[0])).split('\n').length, 5, '4 assignments and the query');
        assert.equal(e.lineValues!.at.length, 4);
      }
    });
  });
}
