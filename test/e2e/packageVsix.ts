/** Builds the bundles and packages the extension as a user gets it (.vsix, via vsce). */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO } from './tools';

const run = promisify(execFile);

export async function packageVsix(outDir: string): Promise<string> {
  const vsix = join(outDir, 'introspect.vsix');
  await run(process.execPath, [join(REPO, 'scripts', 'build.mjs')], { cwd: REPO });
  await run(join(REPO, 'node_modules', '.bin', 'vsce'), ['package', '--allow-missing-repository', '--skip-license', '-o', vsix], {
    cwd: REPO,
    maxBuffer: 1 << 24,
  });
  return vsix;
}
