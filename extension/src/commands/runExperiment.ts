/**
 * "Open Experiment Runner", "Run Benchmark Suite" and "Run Developmental Study": the last two pick
 * one of the engine's suites or studies and run it on the current model in the runner view.
 */
import * as vscode from 'vscode';
import { listRunnablesRequest, type RunKind } from '../../../engine/src/api/protocol';
import type { EngineClient } from '../engine/client';
import type { RunnerView } from '../runner/view';
import { readSettings } from '../settings';
import { CommandId } from './ids';

export function register(context: vscode.ExtensionContext, engine: EngineClient, runner: RunnerView): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(CommandId.OpenRunner, () => vscode.commands.executeCommand('introspect.runner.focus')),
    vscode.commands.registerCommand(CommandId.RunBenchmark, () => runKind(engine, runner, 'suite')),
    vscode.commands.registerCommand(CommandId.RunStudy, () => runKind(engine, runner, 'study')),
  );
}

async function runKind(engine: EngineClient, runner: RunnerView, kind: RunKind): Promise<void> {
  const noun = kind === 'suite' ? 'benchmark suites' : 'developmental studies';
  const available = (await engine.request(listRunnablesRequest)).runnables.filter((r) => r.kind === kind);
  if (available.length === 0) {
    void vscode.window.showInformationMessage(`Introspect: ${noun} are not available in this build.`);
    return;
  }
  const model = readSettings().model;
  if (!model) {
    void vscode.window.showWarningMessage('Introspect: no model is chosen. Run "Introspect: Choose Model" first.');
    return;
  }
  const pick = await vscode.window.showQuickPick(
    available.map((r) => ({ label: r.id, detail: r.description, runnable: r })),
    { title: `Introspect: run one of the ${noun}` },
  );
  if (!pick) return;
  const n = await vscode.window.showInputBox({ title: 'Samples per length', value: '20', validateInput: (v) => (/^[1-9]\d*$/.test(v) ? undefined : 'a positive whole number') });
  if (!n) return;
  await vscode.commands.executeCommand(CommandId.OpenRunner);
  await runner.run({ kind, id: pick.runnable.id, models: [model], lengths: pick.runnable.defaultLengths, n: Number(n) });
}
