/**
 * The packaged extension in real VS Code: builds the .vsix, installs it into code-server, opens a
 * workspace with a binding program and a tiny real model, and drives the workbench in Chromium —
 * every command, a hover read back from the screen, the heatmap and the runner side panel with
 * real engine data; then, in a second window with workspace trust on, that Restricted Mode runs no
 * workspace code. Screenshots go to out/e2e/ (or $INTROSPECT_E2E_SHOTS).
 *
 * Skipped only when code-server, Node 24 or chromium are missing (test/e2e/setup.sh installs them).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { type CodeServer, installExtension, makeRunDir, startCodeServer } from './codeServer';
import { packageVsix } from './packageVsix';
import { type Cluster, startCluster } from '../slurm/cluster';
import { missingTools, REPO } from './tools';
import { launchBrowser, Workbench } from './workbench';
import { makeWorkspace, type SampleWorkspace, TEST_USER_SETTINGS } from './workspace';

const EXT_ID = 'introspect.introspect';
const SHOTS = process.env.INTROSPECT_E2E_SHOTS ?? join(REPO, 'out', 'e2e');
const skip = missingTools();

let server: CodeServer | undefined;
let browser: Browser | undefined;
let wb: Workbench;
let ws: SampleWorkspace;
let root: string;
let extensionsDir: string;
/** A one-node Slurm cluster the engine submits to (its SLURM_CONF in code-server's environment), or why there is none. */
let cluster: Cluster | string = 'not started';

before(async () => {
  if (skip) return;
  mkdirSync(SHOTS, { recursive: true });
  root = makeRunDir('introspect-e2e-');
  ws = await makeWorkspace(root);
  extensionsDir = join(root, 'extensions');
  await installExtension(await packageVsix(root), extensionsDir, root);
  cluster = await startCluster();
  if (typeof cluster === 'string' && process.env.INTROSPECT_REQUIRE_SLURM === '1') throw new Error(`INTROSPECT_REQUIRE_SLURM is set but ${cluster}`);
  if (typeof cluster !== 'string') process.env.SLURM_CONF = cluster.env.SLURM_CONF;
  server = await startCodeServer({ runDir: root, extensionsDir, workspace: ws.dir, userSettings: TEST_USER_SETTINGS });
  browser = await launchBrowser();
  const page = await (await browser.newContext({ viewport: { width: 1500, height: 950 } })).newPage();
  wb = new Workbench(page);
  await page.goto(server.url(`?folder=${encodeURIComponent(ws.dir)}`));
  await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
}, { timeout: 240_000 });

after(async () => {
  await browser?.close();
  await server?.stop();
  if (typeof cluster !== 'string') await cluster.stop();
});

test('the installed .vsix carries the bundles and onnxruntime-node with only its Linux binaries', { skip }, () => {
  const installed = join(extensionsDir, 'introspect.introspect-0.1.0');
  for (const f of ['dist/extension.js', 'dist/engine.js', 'dist/cli.js', 'dist/webview/heatmap.js', 'dist/webview/runner.js',
    'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node', 'node_modules/onnxruntime-common/dist/cjs/package.json',
    'models/program-tracer/model.safetensors', 'models/program-tracer/introspect.json', 'models/binding-tracer/model.safetensors', 'models/binding-tracer/series/step-7000/model.safetensors'])
    assert.ok(existsSync(join(installed, f)), f);
  assert.deepEqual(readdirSync(join(installed, 'node_modules/onnxruntime-node/bin/napi-v6')), ['linux']);
  assert.ok(!existsSync(join(installed, 'dist/engine.js.map')));
});

test('opening a Python file starts the engine, which loads the workspace model (status bar)', { skip, timeout: 90_000 }, async () => {
  await wb.openFile('sample.py');
  const item = wb.page.locator('.statusbar-item', { hasText: 'Introspect: tiny-llama · cpu' });
  await item.waitFor({ timeout: 80_000 });
});

test('hovering a variable shows the model prediction and the actual value', { skip, timeout: 60_000 }, async () => {
  const line = wb.line(/^e\s=\sd$/);
  await line.waitFor();
  await line.hover({ position: Workbench.FIRST_CHAR });
  const hover = wb.page.locator('.monaco-hover:not(.hidden)', { hasText: 'predicted value of e' }).first();
  await hover.waitFor({ timeout: 30_000 });
  await hover.locator('text=Actual value').waitFor({ timeout: 15_000 });
  const text = await hover.innerText();
  await wb.page.screenshot({ path: join(SHOTS, 'hover.png') });
  assert.match(text, /predicted value of e after line 5/);
  assert.match(text, /\d+\.\d%/); // probabilities of the top tokens
  assert.match(text, /tiny-llama · cpu · \d+ ms/);
  assert.match(text, /Actual value \(python3\): 5/); // the program really binds e to 5
  await wb.page.mouse.move(5, 900);
});

test('Predict Values in Selection decorates every assignment', { skip, timeout: 60_000 }, async () => {
  await wb.runCommand('Introspect: Predict Values in Selection');
  const afterTexts = async () =>
    wb.page.evaluate(() =>
      Array.from(document.querySelectorAll('.monaco-editor .view-line span'))
        .map((el) => getComputedStyle(el, '::after').content)
        .filter((c) => c.includes('⟶')),
    );
  let texts: string[] = [];
  for (let i = 0; i < 100 && texts.length < 5; i++) {
    texts = await afterTexts();
    await wb.page.waitForTimeout(200);
  }
  await wb.page.screenshot({ path: join(SHOTS, 'predictions.png') });
  assert.equal(texts.length, 5, texts.join(' | '));
  // Short, to fit a split editor: the value and its probability (the detail is in the hover).
  for (const t of texts) assert.match(t, /^"⟶ \\".{1,12}\\" \d+%"$/);
  await wb.runCommand('Introspect: Clear Predicted Values');
});

test('Show Engine Status reports the engine process and the model', { skip, timeout: 30_000 }, async () => {
  await wb.clearNotifications();
  await wb.runCommand('Introspect: Show Engine Status');
  const text = await wb.notification('Introspect engine');
  assert.match(text, /running \(pid \d+, Node v\d+/);
  assert.match(text, /tiny-llama \(llama, 2 layers, 4 heads, d 32\) on cpu, float32/);
  await wb.clearNotifications();
});

test('Trace This Variable opens a heatmap of real patching results; a cell click asks the engine', { skip, timeout: 120_000 }, async () => {
  await wb.line(/^e\s=\sd$/).click({ position: Workbench.FIRST_CHAR });
  await wb.runCommand('Introspect: Trace This Variable');
  const panel = wb.webview(EXT_ID, false);
  await panel.locator('#title', { hasText: 'e — line 5 of sample.py' }).waitFor({ timeout: 90_000 });
  const meta = await panel.locator('#meta').innerText();
  assert.match(meta, /tiny-llama · resid · clean answer/);
  // LD is explained where it is shown; a layers × tokens grid has one view, so no View select.
  assert.match((await panel.locator('#meta abbr').getAttribute('title')) ?? '', /^Logit difference at the last position/);
  assert.equal(await panel.locator('#view-label').isHidden(), true);
  await panel.locator('#legend .colorbar').waitFor();
  const [png, json] = await Promise.all(['#export-png', '#export-json'].map((id) => panel.locator(id).boundingBox()));
  assert.ok(png && json && Math.abs(png.y - json.y) < 2, 'the export buttons stay on one row');
  const canvas = panel.locator('#chart');
  await canvas.waitFor();
  const box = await canvas.boundingBox();
  assert.ok(box && box.width > 100 && box.height > 100);
  await wb.clearNotifications();
  const frame = wb.page.locator('iframe.webview:not([src*="purpose="])');
  await frame.screenshot({ path: join(SHOTS, 'heatmap.png') });
  // Click the middle of the plot area: some cell of the grid.
  await canvas.click({ position: { x: box.width * 0.55, y: box.height * 0.4 } });
  try {
    await panel.locator('#cell', { hasText: /Patched top-k at layer \d+, token \d+[\s\S]*%/ }).waitFor({ timeout: 60_000 });
  } finally {
    await frame.screenshot({ path: join(SHOTS, 'heatmap-cell.png') });
  }
  await wb.page.screenshot({ path: join(SHOTS, 'heatmap-window.png') });
});

test('the heatmap switches metric and intervention and exports JSON and PNG', { skip, timeout: 120_000 }, async () => {
  const panel = wb.webview(EXT_ID, false);
  const choose = (id: string, value: string) =>
    panel.locator(`#${id}`).evaluate((el: HTMLElement & { value: string }, v) => {
      el.value = v;
      el.dispatchEvent(new Event('change'));
    }, value);
  await choose('metric', 'success');
  await panel.locator('#legend', { hasText: 'Success (top-1 = counterfactual answer): 0.00 … 1.00' }).waitFor();
  await choose('intervention', 'heads');
  await panel.locator('#meta', { hasText: 'tiny-llama · heads ·' }).waitFor({ timeout: 90_000 });
  assert.equal(await panel.locator('#view').evaluate((el: HTMLElement & { value: string }) => el.value), 'layer-head');
  await wb.page.locator('iframe.webview:not([src*="purpose="])').screenshot({ path: join(SHOTS, 'heatmap-heads.png') });
  for (const [button, file] of [['#export-json', 'e-heads.json'], ['#export-png', 'e-heads.png']]) {
    await panel.locator(button).click();
    // code-server's save dialog is a quick input holding the suggested path
    const input = wb.page.locator('.quick-input-widget input');
    let value = '';
    for (let i = 0; i < 100 && !value.endsWith(file); i++, await wb.page.waitForTimeout(100)) value = await input.inputValue();
    assert.equal(value, join(ws.dir, file));
    await wb.page.keyboard.press('Enter');
    await wb.notification(`saved ${join(ws.dir, file)}`);
  }
  const exported = JSON.parse(readFileSync(join(ws.dir, 'e-heads.json'), 'utf8'));
  assert.deepEqual(exported.grid.axes, ['layer', 'head']);
  assert.deepEqual(exported.grid.shape, [2, 4]);
  assert.deepEqual([...readFileSync(join(ws.dir, 'e-heads.png')).subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG');
  await wb.clearNotifications();
});

test('the experiment runner side panel runs a suite and charts its accuracy', { skip, timeout: 180_000 }, async () => {
  await wb.runCommand('Introspect: Open Experiment Runner');
  const view = wb.webview(EXT_ID, true);
  await view.locator('#results-dir', { hasText: ws.resultsDir }).waitFor({ timeout: 30_000 });
  await view.locator('#models vscode-checkbox[label="tiny-llama"]').waitFor();
  // The first suite is described and its lengths filled in.
  await view.locator('#description', { hasText: /Runs: \w+/ }).waitFor();
  assert.match(await view.locator('#lengths').evaluate((el: HTMLElement & { value: string }) => el.value), /^\d+(, \d+)*$/);
  await view.locator('#runnable').evaluate((el: HTMLElement & { value: string }) => {
    el.value = 'suite:variable-binding';
    el.dispatchEvent(new Event('change'));
  });
  await view.locator('#models vscode-checkbox[label="oracle (reference)"]').click();
  await view.locator('#lengths input').fill('2, 3');
  await view.locator('#samples input').fill('3');
  await view.locator('#run').click();
  await view.locator('#status', { hasText: 'Finished' }).waitFor({ timeout: 150_000 });
  await view.locator('#chart-title', { hasText: 'variable_binding: accuracy by length (n = 3 per point)' }).waitFor();
  assert.equal(await view.locator('#results li').count(), 2); // one run folder per experiment of the suite
  await wb.clearNotifications();
  await wb.page.screenshot({ path: join(SHOTS, 'runner.png') });
});

test('the runner sends a suite to Slurm, follows its shards and charts the merged result', { skip, timeout: 240_000 }, async (t) => {
  if (typeof cluster === 'string') return t.skip(cluster);
  await wb.runCommand('Introspect: Open Experiment Runner');
  const view = wb.webview(EXT_ID, true);
  await view.locator('#slurm-row').waitFor({ timeout: 30_000 }); // shown: sbatch is on the engine's PATH
  await view.locator('#runnable').evaluate((el: HTMLElement & { value: string }) => {
    el.value = 'suite:variable-binding';
    el.dispatchEvent(new Event('change'));
  });
  await view.locator('#lengths input').fill('2, 3');
  await view.locator('#samples input').fill('2');
  await view.locator('#slurm').click();
  await view.locator('#run').click();
  // The shards' progress as the engine reads it from the run folder and the queue.
  await view.locator('#status', { hasText: /Slurm: \d+\/\d+ shards done/ }).waitFor({ timeout: 60_000 });
  await view.locator('#status', { hasText: 'Finished: variable_binding, variable_binding_hops' }).waitFor({ timeout: 200_000 });
  await view.locator('#chart-title', { hasText: 'variable_binding: accuracy by length (n = 2 per point)' }).waitFor();
  assert.equal(await view.locator('#results li').count(), 4);
  await wb.clearNotifications();
  await wb.page.screenshot({ path: join(SHOTS, 'runner-slurm.png') });
});

test('benchmark and study commands, device and model pickers list their choices', { skip, timeout: 60_000 }, async () => {
  await wb.runCommand('Introspect: Run Benchmark Suite');
  await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 'variable-binding' }).waitFor();
  await wb.page.keyboard.press('Escape');
  await wb.clearNotifications();
  await wb.runCommand('Introspect: Run Developmental Study');
  await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 'emergence' }).waitFor();
  await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 'influence' }).click();
  await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: "The embedded model's series" }).waitFor();
  await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 'Browse for a series folder' }).waitFor();
  await wb.page.keyboard.press('Escape');
  await wb.runCommand('Introspect: Choose Device');
  for (const d of ['auto', 'cpu', 'cuda', 'webgpu']) await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: d }).first().waitFor();
  await wb.page.keyboard.press('Escape');
  await wb.runCommand('Introspect: Choose Model');
  await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 'Browse for a checkpoint folder' }).waitFor();
  await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 'tiny-llama' }).waitFor();
  await wb.page.screenshot({ path: join(SHOTS, 'choose-model.png') });
  await wb.page.keyboard.press('Escape');
});

test('with no model chosen, the embedded model is offered and run; runs from the palette cancel and resume in the panel', { skip, timeout: 240_000 }, async () => {
  const settingsFile = join(ws.dir, '.vscode', 'settings.json');
  const original = readFileSync(settingsFile, 'utf8');
  const withModel = (model: string | undefined) => {
    const s = JSON.parse(original);
    if (model === undefined) delete s['introspect.model'];
    else s['introspect.model'] = model;
    writeFileSync(settingsFile, JSON.stringify(s, null, 1));
  };
  const status = (name: string, timeout = 60_000) => wb.page.locator('.statusbar-item', { hasText: `Introspect: ${name} · cpu` }).waitFor({ timeout });
  try {
    await wb.runCommand('Introspect: Open Experiment Runner');
    const view = wb.webview(EXT_ID, true);
    await view.locator('#models vscode-checkbox[label="oracle (reference)"]').waitFor({ timeout: 30_000 });
    await view.locator('#runnable').evaluate((el: HTMLElement & { value: string }) => {
      el.value = 'suite:variable-binding';
      el.dispatchEvent(new Event('change'));
    });
    const oracle = view.locator('#models vscode-checkbox[label="oracle (reference)"]');
    if (!(await oracle.evaluate((el: HTMLElement & { checked: boolean }) => el.checked))) await oracle.click();
    // No model in the settings: the engine loads the embedded one, and the runner's list follows.
    withModel(undefined);
    await status('program-tracer');
    const embedded = view.locator('#models vscode-checkbox[label="program-tracer"]');
    await embedded.waitFor({ timeout: 30_000 });
    assert.equal(await embedded.evaluate((el: HTMLElement & { checked: boolean }) => el.checked), true);
    assert.equal(await view.locator('#models vscode-checkbox[label="oracle (reference)"]').evaluate((el: HTMLElement & { checked: boolean }) => el.checked), true, 'the tick survives');
    assert.ok(await view.locator('body').evaluate((b) => b.scrollWidth <= b.clientWidth), 'no horizontal scrollbar');

    // From the palette, on the embedded model: the panel shows its progress in programs, and Cancel.
    await wb.runCommand('Introspect: Run Benchmark Suite');
    await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 'variable-binding' }).first().click();
    await wb.page.locator('.quick-input-widget input').fill('50');
    await wb.page.keyboard.press('Enter');
    await view.locator('#status', { hasText: /^\d+\/1700 — variable_binding \(1\/2\)/ }).waitFor({ timeout: 60_000 });
    await view.locator('#cancel').click();
    await view.locator('#status', { hasText: 'Cancelled.' }).waitFor({ timeout: 30_000 });
    const unfinished = view.locator('#results li', { hasText: /^variable_binding — .* \(unfinished\) Resume$/ });
    await unfinished.waitFor({ timeout: 10_000 }).catch(async (e) => {
      throw new Error(`${(e as Error).message}\nresults: ${await view.locator('#results').innerText()}`);
    });
    await unfinished.locator('a', { hasText: 'Resume' }).click();
    await view.locator('#status', { hasText: 'Finished' }).waitFor({ timeout: 120_000 });
    await view.locator('#chart-title', { hasText: 'variable_binding: accuracy by length (n = 50 per point)' }).waitFor();
    await wb.clearNotifications();

    // Choose Model refuses a folder that is not a checkpoint, and changes nothing.
    await wb.runCommand('Introspect: Choose Model');
    await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 'the embedded model' }).waitFor();
    await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 'Browse for a checkpoint folder' }).click();
    const input = wb.page.locator('.quick-input-widget input');
    await input.fill(ws.dir);
    // The simple file dialog completes a typed path as it lists the folder; under load an Enter
    // pressed before it settles is taken by the listing, and the dialog stays open: press again.
    const refusal = `${ws.dir} is not a checkpoint folder: it has no config.json`;
    const toast = wb.page.locator('.notifications-toasts .notification-list-item-message', { hasText: refusal }).first();
    for (let i = 0; i < 10 && !(await toast.isVisible()); i++) {
      if (await input.isVisible()) {
        if ((await input.inputValue()) !== ws.dir) await input.fill(ws.dir);
        await wb.page.keyboard.press('Enter');
      }
      await toast.waitFor({ timeout: 3000 }).catch(() => undefined);
    }
    await wb.notification(refusal);
    await status('program-tracer');
    await wb.clearNotifications();

    // A bad folder set by hand keeps the loaded model, says why once, and offers the way back.
    withModel(ws.dir);
    const message = await wb.notification(/could not load .*Keeping program-tracer\./);
    assert.match(message, new RegExp(`could not load ${ws.dir}`));
    await status('program-tracer');
    await wb.page.locator('.notifications-toasts .monaco-button', { hasText: 'Use the embedded model' }).first().click();
    const model = () => JSON.parse(readFileSync(settingsFile, 'utf8'))['introspect.model'];
    for (let i = 0; i < 50 && model() !== ''; i++) await wb.page.waitForTimeout(100);
    assert.equal(model(), '', 'the workspace setting now names the embedded model');
    await wb.clearNotifications();
  } finally {
    // Written right after the extension's own write of the file, the change can go unseen by VS Code
    // (seen once in CI: the status stayed on the embedded model); write it again until it is seen.
    for (let i = 1; ; i++) {
      writeFileSync(settingsFile, original);
      const seen = await status('tiny-llama', 20_000).then(
        () => true,
        (e) => {
          if (i === 3) throw e;
          return false;
        },
      );
      if (seen) break;
    }
  }
});

test('after a window reload the heatmap panel is restored from its saved state', { skip, timeout: 120_000 }, async () => {
  await wb.page.reload();
  await wb.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  const panel = wb.webview(EXT_ID, false);
  // The restored panel shows the last grid (the heads trace) without asking the engine again.
  await panel.locator('#meta', { hasText: 'tiny-llama · heads ·' }).waitFor({ timeout: 60_000 });
  await panel.locator('#chart').waitFor();
  await wb.page.screenshot({ path: join(SHOTS, 'restored.png') });
});

test('the runner runs a developmental study; Cancel stops it, Resume finishes it, its panel charts it', { skip, timeout: 300_000 }, async () => {
  // One webview panel at a time, so the study's is the one found.
  await wb.runCommand('View: Close All Editors');
  await wb.runCommand('Introspect: Open Experiment Runner');
  const view = wb.webview(EXT_ID, true);
  await view.locator('#runnable').evaluate((el: HTMLElement & { value: string }) => {
    el.value = 'study:influence';
    el.dispatchEvent(new Event('change'));
  });
  await view.locator('#study-form').waitFor();
  assert.equal(await view.locator('#suite-form').isHidden(), true);
  assert.equal(await view.locator('#data').evaluate((el: HTMLElement & { value: string }) => el.value), 'binding-correctness');
  await view.locator('#series input').fill(ws.seriesDir);
  await view.locator('#pairs input').fill('3');
  await view.locator('#chains input').fill('2');
  await view.locator('#draws input').fill('150');
  await view.locator('#run').click();
  await view.locator('#status', { hasText: /step 3 \(2\/3\): chain 1\/2/ }).waitFor({ timeout: 120_000 });
  const t0 = Date.now();
  await view.locator('#cancel').click();
  await view.locator('#status', { hasText: 'Cancelled.' }).waitFor({ timeout: 30_000 });
  const cancelMs = Date.now() - t0;
  console.log(`study cancelled ${cancelMs} ms after Cancel`);
  assert.ok(cancelMs < 5000, `cancelled after ${cancelMs} ms`);
  const item = view.locator('#results li', { hasText: /influence: train — .* \(unfinished, 1\/3 checkpoints\)/ });
  await item.waitFor({ timeout: 10_000 });
  await item.locator('a', { hasText: 'Resume' }).click();
  await view.locator('#status', { hasText: 'Finished.' }).waitFor({ timeout: 180_000 });
  await view.locator('#results li', { hasText: /influence: train — .* \(3\/3 checkpoints\)/ }).waitFor({ timeout: 10_000 });
  // The study's panel filled in as checkpoints finished.
  const panel = wb.webview(EXT_ID, false);
  await panel.locator('#meta', { hasText: /^3\/3 checkpoints · data binding-correctness · rmsprop-sgld/ }).waitFor({ timeout: 30_000 });
  for (const id of ['#bif-chart', '#llc-chart', '#matrix']) {
    const box = await panel.locator(id).boundingBox();
    assert.ok(box && box.width > 100 && box.height > 100, id);
  }
  await panel.locator('#matrix-legend', { hasText: 'Samples ordered by group' }).waitFor({ timeout: 30_000 });
  await wb.clearNotifications();
  await wb.page.screenshot({ path: join(SHOTS, 'study.png') });
});

test('the runner runs an emergence study on a hook point of the series; Cancel and Resume; its panel charts it and browses latents', { skip, timeout: 300_000 }, async () => {
  await wb.runCommand('View: Close All Editors');
  await wb.runCommand('Introspect: Open Experiment Runner');
  const view = wb.webview(EXT_ID, true);
  await view.locator('#runnable').evaluate((el: HTMLElement & { value: string }) => {
    el.value = 'study:emergence';
    el.dispatchEvent(new Event('change'));
  });
  await view.locator('#emergence-fields').waitFor();
  assert.equal(await view.locator('#sampler-fields').isHidden(), true);
  await view.locator('#series input').fill(ws.seriesDir);
  // The hook picker lists the series' own hook points (one layer here), the block's output chosen.
  await view.locator('#series-hint', { hasText: 'train: 3 checkpoints, steps 0–6' }).waitFor({ timeout: 30_000 });
  const hooks = await view.locator('#hook vscode-option').evaluateAll((os) => os.map((o) => o.getAttribute('value')));
  assert.deepEqual(hooks, ['blocks.0.hook_resid_pre', 'blocks.0.attn.hook_z', 'blocks.0.hook_attn_out', 'blocks.0.hook_mlp_out', 'blocks.0.hook_resid_post']);
  assert.equal(await view.locator('#hook').evaluate((el: HTMLElement & { value: string }) => el.value), 'blocks.0.hook_resid_post');
  await view.locator('#pairs input').fill('128');
  await view.locator('#latents input').fill('32');
  // Long enough (~10 s a checkpoint) to cancel in the middle of the second.
  await view.locator('#sae-steps input').fill('30000');
  await view.locator('#run').click();
  await view.locator('#status', { hasText: /step 3 \(2\/3\): SAE step \d+\/30000/ }).waitFor({ timeout: 120_000 });
  const t0 = Date.now();
  await view.locator('#cancel').click();
  await view.locator('#status', { hasText: 'Cancelled.' }).waitFor({ timeout: 30_000 });
  const cancelMs = Date.now() - t0;
  console.log(`emergence study cancelled ${cancelMs} ms after Cancel`);
  assert.ok(cancelMs < 5000, `cancelled after ${cancelMs} ms`);
  const item = view.locator('#results li', { hasText: /emergence: train — .* \(unfinished, 1\/3 checkpoints\)/ });
  await item.waitFor({ timeout: 10_000 });
  await item.locator('a', { hasText: 'Resume' }).click();
  await view.locator('#status', { hasText: 'Finished.' }).waitFor({ timeout: 180_000 });
  const panel = wb.webview(EXT_ID, false);
  await panel.locator('#meta', { hasText: /^3\/3 checkpoints · data binding-correctness \(128 pairs\) · blocks\.0\.hook_resid_post at claim · relu SAE, 32 latents/ }).waitFor({ timeout: 30_000 });
  for (const id of ['#emergence-chart', '#sae-chart']) {
    const box = await panel.locator(id).boundingBox();
    assert.ok(box && box.width > 100 && box.height > 100, id);
  }
  assert.equal(await panel.locator('#influence').isHidden(), true);
  assert.match(await panel.locator('#birth').innerText(), /^(Birth: step \d+|The matched latent never reaches 80\.0% held-out accuracy)/);
  // The latent browser: the last checkpoint's latents, the first one's strongest activations marked in their programs.
  await panel.locator('#latent-samples .sample mark').first().waitFor({ timeout: 30_000 });
  assert.match(await panel.locator('#latent-meta').innerText(), /^Latent \d+ \(one of the best at telling correct from incorrect on the training pairs\): train AUROC \d\.\d{3}, held-out accuracy \d+\.\d%/);
  const sample = await panel.locator('#latent-samples .sample').first().innerText();
  assert.match(sample, /^sample \d+ · (correct|incorrect) · strongest \d+\.\d{3}\n[a-z] = [a-z0-9]\n/);
  assert.match(await panel.locator('#latent-samples .sample mark').first().innerText(), /^\d$/, 'the claim token (a digit) is the one marked');
  await wb.clearNotifications();
  await wb.page.screenshot({ path: join(SHOTS, 'study-emergence.png') });
});

test('the runner runs a susceptibility study; its panel shows components × perturbations and the tokens\' UMAP with a slider over checkpoints', { skip, timeout: 300_000 }, async () => {
  await wb.runCommand('View: Close All Editors');
  await wb.runCommand('Introspect: Open Experiment Runner');
  const view = wb.webview(EXT_ID, true);
  await view.locator('#runnable').evaluate((el: HTMLElement & { value: string }) => {
    el.value = 'study:susceptibility';
    el.dispatchEvent(new Event('change'));
  });
  await view.locator('#components-row').waitFor();
  assert.equal(await view.locator('#restrict-row').isHidden(), true);
  assert.equal(await view.locator('#components').evaluate((el: HTMLElement & { value: string }) => el.value), 'heads,mlp,embed,unembed');
  await view.locator('#series input').fill(ws.seriesDir);
  await view.locator('#components input').fill('heads,mlp');
  await view.locator('#pairs input').fill('2');
  await view.locator('#draws input').fill('10');
  await view.locator('#run').click();
  await view.locator('#status', { hasText: 'Finished.' }).waitFor({ timeout: 240_000 });
  await view.locator('#results li', { hasText: /susceptibility: train — .* \(3\/3 checkpoints\)/ }).waitFor({ timeout: 10_000 });
  const panel = wb.webview(EXT_ID, false);
  await panel.locator('#meta', { hasText: /^3\/3 checkpoints · data binding-correctness \(2 pairs\) · components heads,mlp · rmsprop-sgld/ }).waitFor({ timeout: 30_000 });
  assert.equal(await panel.locator('#influence').isHidden(), true);
  await panel.locator('#chi-legend', { hasText: 'sequence losses, step 6' }).waitFor({ timeout: 30_000 });
  for (const id of ['#chi-matrix', '#chi-llc']) {
    const box = await panel.locator(id).boundingBox();
    assert.ok(box && box.width > 100 && box.height > 100, id);
  }
  // The UMAP frames, one per checkpoint: the slider moves over them.
  await panel.locator('#umap-status', { hasText: /^\d+ probe tokens × 3 components, 3 checkpoints/ }).waitFor({ timeout: 120_000 });
  assert.equal(await panel.locator('#frame-step').innerText(), '(step 6)');
  await panel.locator('#frame').evaluate((el: HTMLInputElement) => {
    el.value = '0';
    el.dispatchEvent(new Event('input'));
  });
  assert.equal(await panel.locator('#frame-step').innerText(), '(step 0)');
  assert.match(await panel.locator('#pca-note').innerText(), /^PCA at step 0: PC1 \d+\.\d%, PC2 \d+\.\d%, PC3 \d+\.\d% of the variance; PC1's loadings (all have one sign \(a uniform mode\)|have both signs)\.$/);
  // Hovering a point names its token and shows it in its program.
  const box = (await panel.locator('#scatter').boundingBox())!;
  const hovered = panel.locator('#hovered');
  for (let i = 0; i < 20 && /^Hover a point/.test(await hovered.innerText()); i++)
    await panel.locator('#scatter').hover({ position: { x: box.width * (0.2 + 0.03 * i), y: box.height * (0.5 - 0.01 * i) } });
  assert.match(await hovered.innerText(), /^(variable|digit|=|space|newline|query|claim) ".*" \(sample \d+, token \d+\)\n….*\[.*\].*…$/);
  await wb.clearNotifications();
  await wb.page.screenshot({ path: join(SHOTS, 'study-susceptibility.png') });
});

test('outside the model\'s declared domain the hover, the decorations and the trace say so; a loop is traced through its literal', { skip, timeout: 180_000 }, async () => {
  await wb.runCommand('View: Close All Editors');
  await wb.openFile('loop.py');
  const line = wb.line(/^\s+total\s\+=\s3$/);
  await line.waitFor();
  await line.hover({ position: { x: 40, y: 8 } });
  const hover = wb.page.locator('.monaco-hover:not(.hidden)', { hasText: 'outside the model' }).first();
  await hover.waitFor({ timeout: 30_000 });
  const text = (await hover.innerText()).replace(/\u00a0/g, ' '); // appendText writes spaces as &nbsp;
  await wb.page.screenshot({ path: join(SHOTS, 'hover-out-of-domain.png') });
  assert.match(text, /total after line 3: .*outside the model's domain/);
  assert.match(text, /tiny-llama was trained on variable-binding programs .*; this code is a range loop, so its top value is a guess, not a prediction\. Choose a code model for general code\./);
  assert.match(text, /guess\s+probability/);
  await wb.page.mouse.move(5, 900);

  await wb.runCommand('Introspect: Predict Values in Selection');
  let decorations: string[] = [];
  for (let i = 0; i < 100 && decorations.length < 2; i++, await wb.page.waitForTimeout(200))
    decorations = await wb.page.evaluate(() =>
      Array.from(document.querySelectorAll('.monaco-editor .view-line span')).map((el) => getComputedStyle(el, '::after').content).filter((c) => c.includes('⟶')),
    );
  assert.equal(decorations.length, 2, decorations.join(' | ')); // total = 0 and total += 3
  for (const d of decorations) assert.match(d, /^"⟶ out of domain, guess \\".{1,12}\\" \d+%"$/);
  await wb.runCommand('Introspect: Clear Predicted Values');

  await line.click({ position: { x: 40, y: 8 } });
  await wb.runCommand('Introspect: Trace This Variable');
  const panel = wb.webview(EXT_ID, false);
  await panel.locator('#title', { hasText: 'total — line 3 of loop.py' }).waitFor({ timeout: 90_000 });
  assert.match(await panel.locator('#domain').innerText(), /^⚠ Outside the model's domain: tiny-llama was trained on variable-binding programs/);
  await panel.locator('#legend .colorbar').waitFor();
  await wb.page.locator('iframe.webview:not([src*="purpose="])').screenshot({ path: join(SHOTS, 'heatmap-out-of-domain.png') });
  await wb.runCommand('View: Close All Editors');

  // Outside the interpreter's subset: the refusal names the construct, and is shown whole.
  await wb.clearNotifications();
  await wb.openFile('unsupported.py');
  await wb.line(/^\s+x\s\+=\s1$/).click({ position: { x: 34, y: 8 } });
  await wb.runCommand('Introspect: Trace This Variable');
  await wb.notification('Introspect: could not trace x');
  await wb.page.locator('.notifications-toasts .monaco-button', { hasText: 'Show Full Reason' }).first().click();
  const dialog = wb.page.locator('.monaco-dialog-box');
  await dialog.waitFor({ timeout: 15_000 });
  assert.match(await dialog.innerText(), /does not run this code \(line 2: unsupported statement "with f:"\); tracing needs a binding chain/);
  await wb.page.screenshot({ path: join(SHOTS, 'trace-refused.png') });
  await wb.page.keyboard.press('Escape');
  await wb.clearNotifications();
  await wb.runCommand('View: Close All Editors');
});

test('in Restricted Mode the workspace chooses no model and the hover predicts but never runs the workspace code', { skip, timeout: 180_000 }, async () => {
  // A second window on the same install, this time with workspace trust on: the folder opens untrusted.
  await browser?.close();
  await server?.stop();
  server = await startCodeServer({ runDir: makeRunDir('introspect-untrusted-'), extensionsDir, workspace: ws.dir, workspaceTrust: true, userSettings: TEST_USER_SETTINGS });
  browser = await launchBrowser();
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  wb = new Workbench(page);
  await page.goto(server.url(`?folder=${encodeURIComponent(ws.dir)}`));
  await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).waitFor({ timeout: 60_000 });
  await wb.openFile('sample.py');
  // The workspace names tiny-llama, but an untrusted workspace's model setting is not used.
  await page.locator('.statusbar-item', { hasText: 'Introspect: program-tracer · cpu' }).waitFor({ timeout: 80_000 });
  await wb.line(/^e\s=\sd$/).hover({ position: Workbench.FIRST_CHAR });
  const hover = page.locator('.monaco-hover:not(.hidden)', { hasText: 'predicted value of e' }).first();
  await hover.waitFor({ timeout: 30_000 });
  const text = await hover.innerText();
  await page.screenshot({ path: join(SHOTS, 'untrusted-hover.png') });
  assert.match(text, /\d+\.\d%/);
  assert.match(text, /Actual value not shown: this workspace is not trusted/); // though predictedVsActual is on
  assert.doesNotMatch(text, /Actual value \(/);
});
