// Runs the test suite with node's test runner: every test/**/*.test.ts (through tsx), or only the
// files whose path contains one of the given arguments (`npm test -- engine tracing`). Without
// arguments it also runs the Python unit tests of scripts/reference first.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const walk = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === 'fixtures' ? [] : walk(join(dir, e.name))) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
const filters = process.argv.slice(2);
const files = walk('test')
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
// The reference generator's torch-free unit tests (its torch tests skip themselves without torch).
if (filters.length === 0) {
  const py = spawnSync('python3', ['-m', 'unittest', 'discover', '-s', 'scripts/reference', '-p', 'test_*.py'], { stdio: 'inherit' });
  if (py.status !== 0) process.exit(py.status ?? 1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
