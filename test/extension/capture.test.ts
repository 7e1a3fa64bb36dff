import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { agrees, captureValue } from '../../extension/src/actual/capture';

const hasPython = (() => {
  try {
    execFileSync('python3', ['--version']);
    return true;
  } catch {
    return false;
  }
})();
const py = hasPython ? test : test.skip; // un-skip: install python3

py('python: the value after a line, the last one in a loop, inside a called function', async () => {
  const run = (code: string, line: number, variable: string) => captureValue({ language: 'python', code, line, variable, timeoutMs: 5000 });
  assert.deepEqual(await run('a = 3\nb = a + 4', 2, 'b'), { ok: true, value: '7', type: 'int', runtime: 'python3' });
  assert.deepEqual(await run('b = 0\nfor i in range(4):\n    b = b + i', 3, 'b'), { ok: true, value: '6', type: 'int', runtime: 'python3' });
  assert.deepEqual(await run('def f(q):\n    r = [q] * 2\n    return r\nprint(f(5))', 2, 'r'), { ok: true, value: '[5, 5]', type: 'list', runtime: 'python3' });
});

py('python: errors, never-reached lines and time limits are reported, not thrown', async () => {
  const err = await captureValue({ language: 'python', code: 'a = 1\nb = a / 0', line: 2, variable: 'b', timeoutMs: 5000 });
  assert.equal(err.ok, false);
  assert.match(!err.ok ? err.error : '', /ZeroDivisionError/);
  const unreached = await captureValue({ language: 'python', code: 'def f():\n    x = 1', line: 2, variable: 'x', timeoutMs: 5000 });
  assert.match(!unreached.ok ? unreached.error : '', /x has no value after line 2/);
  const t0 = Date.now();
  const slow = await captureValue({ language: 'python', code: 'while True:\n    x = 1', line: 2, variable: 'x', timeoutMs: 800 });
  assert.match(!slow.ok ? slow.error : '', /timed out after 800 ms/);
  assert.ok(Date.now() - t0 < 5000);
});

py('python: the snippet runs in an empty temporary folder with an almost empty environment', async () => {
  process.env.INTROSPECT_SECRET_PROBE = 'leak';
  const r = await captureValue({ language: 'python', code: 'import os\nv = (os.getcwd(), os.environ.get("INTROSPECT_SECRET_PROBE"), os.listdir("."))', line: 2, variable: 'v', timeoutMs: 5000 });
  delete process.env.INTROSPECT_SECRET_PROBE;
  assert.ok(r.ok);
  assert.match(r.ok ? r.value : '', /introspect-run-.*', None, \[\]\)$/);
});

test('javascript: top-level values, with console output swallowed; blocks and loops are reported', async () => {
  const r = await captureValue({ language: 'javascript', code: 'const a = 3;\nconsole.log("noise");\nlet b = { s: a * 2 };', line: 3, variable: 'b', timeoutMs: 5000 });
  assert.deepEqual(r, { ok: true, value: '{ s: 6 }', type: 'object', runtime: 'node' });
  const inBlock = await captureValue({ language: 'javascript', code: 'for (let i = 0; i < 3; i++) {\n  x = i', line: 2, variable: 'x', timeoutMs: 5000 });
  assert.match(!inBlock.ok ? inBlock.error : '', /only top-level lines/);
  const slow = await captureValue({ language: 'javascript', code: 'while (true) {}\nlet x = 1', line: 2, variable: 'x', timeoutMs: 800 });
  assert.equal(slow.ok, false);
});

test('agreement compares printed forms, ignoring surrounding spaces', () => {
  assert.ok(agrees(' 7', '7'));
  assert.ok(!agrees('7', '8'));
});

py('python: the snippet may not start processes, so no detached grandchild outlives the limit', async () => {
  const marker = join(mkdtempSync(join(tmpdir(), 'introspect-marker-')), 'escaped');
  const fork = `import os, time\npid = os.fork()\nif pid == 0:\n    os.setsid()\n    time.sleep(1)\n    open(${JSON.stringify(marker)}, 'w').write('x')\nv = pid`;
  const r = await captureValue({ language: 'python', code: fork, line: 7, variable: 'v', timeoutMs: 3000 });
  assert.match(!r.ok ? r.error : '', /may not start processes \(os\.fork\)/);
  const sub = await captureValue({ language: 'python', code: 'import subprocess\nv = subprocess.run(["true"])', line: 2, variable: 'v', timeoutMs: 3000 });
  assert.match(!sub.ok ? sub.error : '', /may not start processes/);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(existsSync(marker), false);
});

test('javascript: the vm escape to process is refused, and a memory hog stops at its own limit', async () => {
  const escape = 'const p = this.constructor.constructor("return process")();\nlet v = p.pid';
  const r = await captureValue({ language: 'javascript', code: escape, line: 2, variable: 'v', timeoutMs: 5000 });
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.error : '', /Code generation from strings disallowed/);
  const t0 = Date.now();
  const hog = await captureValue({ language: 'javascript', code: 'const a = [];\nwhile (true) a.push(new Array(1e6).fill(1.5));\nlet v = 1', line: 3, variable: 'v', timeoutMs: 20_000 });
  assert.equal(hog.ok, false);
  assert.ok(Date.now() - t0 < 15_000, `stopped after ${Date.now() - t0} ms`);
});
