/**
 * Workspace trust in real VS Code: in a workspace the user does not trust, the hover still shows
 * the model's prediction but Introspect runs none of the workspace's code for the actual value,
 * even with introspect.predictedVsActual on (the sample workspace turns it on).
 *
 * Skipped only when code-server, Node 24 or chromium are missing (test/e2e/setup.sh installs them).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { installExtension, makeRunDir, startCodeServer } from './codeServer';
import { packageVsix } from './packageVsix';
import { missingTools, REPO } from './tools';
import { launchBrowser, Workbench } from './workbench';
import { makeWorkspace } from './workspace';

const skip = missingTools();
const SHOTS = process.env.INTROSPECT_E2E_SHOTS ?? join(REPO, 'out', 'e2e');

test('in an untrusted workspace the hover predicts but never runs the code', { skip, timeout: 300_000 }, async () => {
  const root = makeRunDir('introspect-untrusted-');
  const ws = await makeWorkspace(root);
  const extensionsDir = join(root, 'extensions');
  await installExtension(await packageVsix(root), extensionsDir, root);
  const server = await startCodeServer({ runDir: root, extensionsDir, workspace: ws.dir, workspaceTrust: true });
  const browser = await launchBrowser();
  try {
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    const wb = new Workbench(page);
    await page.goto(server.url(`?folder=${encodeURIComponent(ws.dir)}`));
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    try {
      await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).waitFor({ timeout: 60_000 });
    } finally {
      await page.screenshot({ path: join(SHOTS, 'untrusted.png') });
    }
    await wb.openFile('sample.py');
    await page.locator('.statusbar-item', { hasText: 'Introspect: tiny-llama · cpu' }).waitFor({ timeout: 80_000 });
    const line = wb.line(/^e\s=\sd$/);
    await line.hover({ position: Workbench.FIRST_CHAR });
    const hover = page.locator('.monaco-hover:not(.hidden)', { hasText: 'predicted value of e' }).first();
    await hover.waitFor({ timeout: 30_000 });
    const text = await hover.innerText();
    await page.screenshot({ path: join(SHOTS, 'untrusted-hover.png') });
    assert.match(text, /\d+\.\d%/);
    assert.match(text, /Actual value not shown: this workspace is not trusted/);
    assert.doesNotMatch(text, /Actual value \(/);
  } finally {
    await browser.close();
    await server.stop();
  }
});
