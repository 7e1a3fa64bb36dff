/**
 * Runs test/extension/host/suite.ts inside the real VS Code extension host — the equivalent of
 * @vscode/test-electron's runTests, which cannot run offline: code-server started with its smoke-test
 * driver loads the extension from the repository (extensionDevelopmentPath) and runs the suite
 * (extensionTestsPath), and the browser page receives the exit code and the log.
 *
 * Skipped only when code-server, Node 24 or chromium are missing (test/e2e/setup.sh installs them).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { makeRunDir, startCodeServer } from './codeServer';
import { missingTools, REPO } from './tools';
import { launchBrowser } from './workbench';
import { makeWorkspace, TEST_USER_SETTINGS } from './workspace';

const skip = missingTools();

test('the extension-host suite passes in real VS Code', { skip, timeout: 300_000 }, async () => {
  const root = makeRunDir('introspect-host-');
  const ws = await makeWorkspace(root);
  await promisify(execFile)(process.execPath, [join(REPO, 'scripts', 'build.mjs')], { cwd: REPO });
  const suite = join(REPO, 'out', 'ext-host-tests', 'suite.js');
  await build({
    entryPoints: [join(REPO, 'test', 'extension', 'host', 'suite.ts')],
    outfile: suite,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['vscode'],
    logLevel: 'warning',
  });
  const server = await startCodeServer({
    runDir: root,
    extensionsDir: join(root, 'extensions'),
    workspace: ws.dir,
    userSettings: TEST_USER_SETTINGS,
    extraArgs: ['--vscode-option', 'enable-smoke-test-driver'],
  });
  const browser = await launchBrowser();
  try {
    const remote = (p: string) => `vscode-remote://127.0.0.1:${server.port}${p}`;
    const payload = [
      ['extensionDevelopmentPath', remote(REPO)],
      ['extensionTestsPath', remote(suite)],
    ];
    const page = await browser.newPage();
    const log: string[] = [];
    const exited = new Promise<number>((resolve) => void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code)));
    await page.exposeFunction('codeAutomationLog', (_type: string, args: string[]) => log.push(args.join(' ')));
    await page.goto(server.url(`?folder=${encodeURIComponent(ws.dir)}&payload=${encodeURIComponent(JSON.stringify(payload))}`));
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 240_000))]);
    const results = log.filter((l) => /^(ok|not ok) - |extension host: /.test(l));
    console.log(results.join('\n'));
    assert.equal(code, 0, `exit code ${code}\n${results.join('\n') || log.slice(-40).join('\n')}`);
    assert.match(results.join('\n'), /extension host: [1-9]\d* passed, 0 failed/);
  } finally {
    await browser.close();
    await server.stop();
  }
});
