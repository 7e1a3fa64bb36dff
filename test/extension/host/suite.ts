/**
 * Tests that run inside the real VS Code extension host (code-server's), against the extension
 * loaded from the repository and the sample workspace of test/e2e/workspace.ts. Bundled to
 * out/ext-host-tests/suite.js and started by test/e2e/extension-host.test.ts; VS Code calls run().
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { statusRequest, traceRequest } from '../../../engine/src/api/protocol';
import type { ModelInfo } from '../../../engine/src/api/types';
import type { EngineClient } from '../../../extension/src/engine/client';

type Test = [name: string, fn: () => Promise<void>];

function waitFor<T>(what: string, ms: number, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = async () => {
      const v = await check();
      if (v !== undefined && v !== false) return resolve(v);
      if (Date.now() - t0 > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 100);
    };
    void tick();
  });
}

async function hoverText(uri: vscode.Uri, line: number, character: number): Promise<string> {
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(line, character));
  return hovers
    .flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value)))
    .filter((s) => s.includes('Introspect'))
    .join('\n');
}

export async function run(): Promise<void> {
  const folder = vscode.workspace.workspaceFolders![0].uri;
  const py = vscode.Uri.joinPath(folder, 'sample.py');
  const js = vscode.Uri.joinPath(folder, 'sample.js');
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(py));
  const ext = vscode.extensions.getExtension<{ engine: EngineClient }>('introspect.introspect');
  assert.ok(ext, 'the extension is installed');
  const { engine } = await ext.activate();
  const model = await waitFor('the workspace model to load', 60_000, () => engine.model);

  const tests: Test[] = [
    ['the workspace model is loaded on the CPU', async () => {
      assert.equal(model.name, 'tiny-llama');
      assert.equal(model.device, 'cpu');
    }],
    ['a hover on a Python variable shows the prediction and the actual value', async () => {
      const text = await hoverText(py, 4, 0);
      assert.match(text, /predicted value of `e` after line 5/);
      assert.match(text, /\| `[^`]*` \| \d+\.\d% \|/);
      assert.match(text, /Actual value \(python3\): `5`/);
    }],
    ['a hover on a JavaScript variable runs node for the actual value', async () => {
      await vscode.workspace.openTextDocument(js);
      const text = await hoverText(js, 2, 4);
      // JS is outside the binding domain the test model declares: its guesses come with the notice.
      assert.match(text, /`c` after line 3: \$\(warning\) \*\*outside the model's domain\*\*/);
      assert.match(text, /Actual value \(node\): `7`/);
    }],
    ['no Introspect hover on literals or on names never assigned', async () => {
      assert.equal(await hoverText(py, 0, 4), '');
    }],
    ['Show Engine Status returns what the engine reports', async () => {
      const text = await vscode.commands.executeCommand<string>('introspect.showStatus');
      assert.match(text, new RegExp(`pid ${engine.pid}`));
      assert.match(text, /tiny-llama \(llama, 2 layers/);
    }],
    ['Trace This Variable opens a heatmap panel', async () => {
      const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(py));
      editor.selection = new vscode.Selection(4, 0, 4, 0);
      assert.equal(await vscode.commands.executeCommand<string>('introspect.traceVariable'), 'Trace: e');
      // The tab model follows the workbench asynchronously.
      const tab = await waitFor('the heatmap tab', 10_000, () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label === 'Trace: e'));
      assert.ok(tab.input instanceof vscode.TabInputWebview);
    }],
    ['Trace This Variable with the cursor just after a one-letter name traces it', async () => {
      const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(py));
      editor.selection = new vscode.Selection(4, 1, 4, 1); // e| = d
      assert.equal(await vscode.commands.executeCommand<string>('introspect.traceVariable'), 'Trace: e');
    }],
    ['Choose Model refuses a folder that is not a checkpoint and keeps the setting', async () => {
      const before = vscode.workspace.getConfiguration('introspect').get<string>('model');
      assert.equal(await vscode.commands.executeCommand<boolean>('introspect.chooseModel', folder.fsPath), false);
      assert.equal(vscode.workspace.getConfiguration('introspect').get<string>('model'), before);
      assert.equal(engine.model?.name, 'tiny-llama');
    }],
    ['a model setting that fails to load keeps the loaded model, in the extension and in the engine', async () => {
      const changed = new Promise<ModelInfo | undefined>((resolve) => {
        const sub = engine.onModelChanged((m) => {
          sub.dispose();
          resolve(m);
        });
      });
      const config = vscode.workspace.getConfiguration('introspect');
      const before = config.get<string>('model');
      await config.update('model', folder.fsPath, vscode.ConfigurationTarget.Workspace);
      try {
        const kept = await changed;
        assert.equal(kept?.name, 'tiny-llama');
        assert.equal(engine.model?.name, 'tiny-llama');
        assert.equal((await engine.request(statusRequest)).model?.name, 'tiny-llama');
      } finally {
        await config.update('model', before, vscode.ConfigurationTarget.Workspace);
        await waitFor('the model to load again', 30_000, () => engine.model?.dir === before);
      }
    }],
    ['a workspace cannot set predictedVsActual (a machine setting): only the user turns on running code', async () => {
      const config = vscode.workspace.getConfiguration('introspect');
      await assert.rejects(Promise.resolve(config.update('predictedVsActual', true, vscode.ConfigurationTarget.Workspace)));
      assert.equal(config.inspect('predictedVsActual')?.globalValue, true, 'the test user turned it on');
    }],
    ['a VS Code cancellation token cancels a trace in the engine', async () => {
      const source = new vscode.CancellationTokenSource();
      const done = engine.withProgress('test trace', (_t, progressToken) => {
        const request = engine.request(traceRequest, { code: 'a = 5\nb = a\nc = b\nd = c', variable: 'd', intervention: 'resid', batchSize: 1, progressToken }, source.token);
        // Cancelled just after it is sent (a macrotask later; the request goes out in microtasks), the
        // trace is stopped by the engine, queued or running — never finished first, however fast the
        // machine (waiting for a progress event raced it).
        setTimeout(() => source.cancel(), 0);
        return request;
      });
      // By name: this bundle's copy of the CancelledError class is not the extension's.
      await assert.rejects(done, (err: Error) => err.name === 'Canceled');
    }],
    ['a killed engine restarts, reloads the model, and hovers work again', async () => {
      const before = engine.pid!;
      process.kill(before, 'SIGKILL');
      await waitFor('the engine to restart', 30_000, () => engine.pid !== undefined && engine.pid !== before && engine.engineState.kind === 'ready');
      const status = await engine.request(statusRequest);
      assert.equal(status.model?.name, 'tiny-llama');
      assert.match(await hoverText(py, 3, 0), /predicted value of `d`/);
    }],
    ['changing the model setting loads the new model', async () => {
      const second = join(model.dir, '..', 'tiny-qwen2');
      const loaded = new Promise<ModelInfo | undefined>((resolve) => {
        const sub = engine.onModelChanged((m) => {
          sub.dispose();
          resolve(m);
        });
      });
      await vscode.workspace.getConfiguration('introspect').update('model', second, vscode.ConfigurationTarget.Workspace);
      const info = await loaded;
      assert.equal(info?.name, 'tiny-qwen2');
      assert.equal(info?.modelType, 'qwen2');
    }],
  ];

  let passed = 0;
  let failed = 0;
  for (const [name, fn] of tests) {
    try {
      await fn();
      passed++;
      console.log(`ok - ${name}`);
    } catch (err) {
      failed++;
      console.log(`not ok - ${name}: ${(err as Error).stack ?? err}`);
    }
  }
  console.log(`extension host: ${passed} passed, ${failed} failed`);
  if (failed > 0) throw new Error(`${failed} extension-host test(s) failed`);
}
