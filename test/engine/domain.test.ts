/**
 * A model folder's declared domain: program kinds recognised on every generator's output, the
 * notice for code outside a domain, malformed introspect.json files, and the notice on real
 * predictions of the embedded model.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { domainNotice, INTROSPECT_FILE, readModelDomain } from '../../engine/src/checkpoint/domain';
import { embeddedModelDir } from '../../engine/src/embedded';
import { LoadedModel } from '../../engine/src/model';
import { predictVariable } from '../../engine/src/predict';
import { GENERATOR_NAMES, resolveGenerator } from '../../engine/src/tasks/generators';
import { GENERATOR_KIND, PROGRAM_KINDS, programKinds } from '../../engine/src/tasks/programKinds';
import { runPython } from '../../engine/src/tasks/interpreter';
import { Rng } from '../../engine/src/tasks/rng';

const tmp = mkdtempSync(join(tmpdir(), 'introspect-domain-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('program kinds', () => {
  test("every generator's programs are of its kind", () => {
    for (const name of GENERATOR_NAMES)
      for (let seed = 0; seed < 20; seed++) {
        const { program } = resolveGenerator({ name })(1 + (seed % 8), new Rng(seed));
        assert.ok(programKinds(program).includes(GENERATOR_KIND[name]), `${name} seed ${seed}: ${programKinds(program)}\n${program}`);
      }
  });

  test('general code is of no kind, and kinds need their marker line', () => {
    assert.deepEqual(programKinds('def f(x):\n    return x\ny = f(2)'), []);
    assert.deepEqual(programKinds('total = 0\nfor n in nums:\n    total += n'), []);
    assert.deepEqual(programKinds('x = 0\nx += 1'), ['increments'], 'no `for`: not a loop; no `try`: not an exception program');
    assert.deepEqual(programKinds(''), []);
  });
});

describe('domain notices', () => {
  const binding = { kinds: ['binding' as const] };

  test('name the training kinds and what puts the code outside them', () => {
    assert.equal(domainNotice('m', binding, 'a = 1\nb = a\n#b:'), undefined);
    assert.equal(domainNotice('m', undefined, 'for i in range(3):\n    pass'), undefined, 'no declared domain, no notice');
    assert.match(domainNotice('m', binding, 'x = 0\nfor i in range(3):\n    x += 2')!, /^m was trained on variable-binding programs .*; this code is a range loop, so its top value is a guess, not a prediction\. Choose a code model for general code\.$/);
    assert.match(domainNotice('m', binding, 'total = 0\nfor n in nums:\n    total += n')!, /line 1 \(`total = 0`\) is not of that kind/);
    assert.equal(domainNotice('m', { kinds: ['binding', 'loop'] }, 'x = 0\nfor i in range(3):\n    x += 2'), undefined);
  });

  test('a malformed introspect.json is an error naming the field; a missing one declares nothing', () => {
    const dir = join(tmp, 'bad');
    cpSync(embeddedModelDir(), dir, { recursive: true, filter: (f) => !f.includes('series') });
    writeFileSync(join(dir, INTROSPECT_FILE), JSON.stringify({ domain: { kinds: ['loops'] } }));
    assert.throws(() => readModelDomain(dir), /introspect\.json: domain\.kinds\.0: .*\(program kinds: binding, loop, increments/);
    rmSync(join(dir, INTROSPECT_FILE));
    assert.equal(readModelDomain(dir), undefined);
  });
});

describe('the embedded model declares its domain', () => {
  test('every program kind is in it: a loop is predicted with its whole value, general code carries the notice', async () => {
    const model = await LoadedModel.load(embeddedModelDir(), { device: 'cpu' });
    try {
      assert.deepEqual(model.info.domain, { kinds: [...PROGRAM_KINDS] });
      const code = 'x = 0\nfor i in range(16):\n    x += 9';
      const loop = await predictVariable(model, code, 'x', 3);
      assert.equal(loop.outOfDomain, undefined);
      // Three tokens, each one digit: the hover shows the value the interpreter computes, not its first digit.
      assert.equal(loop.value?.text, String(runPython(code).get('x')));
      assert.ok(loop.value!.prob > 0.5 && loop.value!.prob <= loop.top[0].prob, `${loop.value!.prob}`);
      const bound = await predictVariable(model, 'a = 1\nb = a', 'b', 3);
      assert.equal(bound.outOfDomain, undefined);
      assert.equal(bound.top[0].text, '1');
      const general = await predictVariable(model, 'total = 0\nfor n in [1, 2, 3]:\n    total += n', 'total', 3);
      assert.match(general.outOfDomain ?? '', /^program-tracer was trained on variable-binding programs .*; line 2 \(`for n in \[1, 2, 3\]:`\) is not of that kind, so its top value is a guess/);
    } finally {
      model.dispose();
    }
  });
});
