/**
 * "Open Experiment Runner", "Run Benchmark Suite" and "Run Developmental Study": the last two pick
 * one of the engine's suites or studies and run it in the runner view — a suite on the current
 * model, a study (with its defaults) on a checkpoint series the user picks.
 */
import * as vscode from 'vscode';
import { listRunnablesRequest, type RunKind } from '../../../engine/src/api/protocol';
import { StudyChoice } from '../../../engine/src/api/studies';
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
  if (kind === 'study') {
    const pick = available.length === 1 ? { runnable: available[0] } : await vscode.window.showQuickPick(available.map((r) => ({ label: r.id, detail: r.description, runnable: r })), { title: 'Introspect: run a developmental study' });
    if (!pick) return;
    const series = await chooseSeries(pick.runnable.studyDefaults?.series);
    if (!series) return;
    await vscode.commands.executeCommand(CommandId.OpenRunner);
    await runner.runStudy(StudyChoice.parse({ id: pick.runnable.id, settings: { ...pick.runnable.studyDefaults, series } }));
    return;
  }
  // The model the engine has loaded: the chosen one, or the embedded one when none is chosen.
  const model = engine.model?.dir ?? readSettings().model;
  if (!model) {
    void vscode.window.showWarningMessage('Introspect: no model is loaded. Run "Introspect: Choose Model" first.');
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

/** A checkpoint series: the embedded model's, when it is installed, or a folder the user browses to. */
async function chooseSeries(embedded: string | undefined): Promise<string | undefined> {
  const browse = { label: '$(folder-opened) Browse for a series folder…', detail: 'a folder of step-<N>/ checkpoint folders, a hub cache repository, or a JSON list' };
  const items = [...(embedded ? [{ label: "The embedded model's series", detail: embedded, dir: embedded }] : []), browse];
  const pick = await vscode.window.showQuickPick(items, { title: 'Introspect: the checkpoint series to study' });
  if (!pick) return undefined;
  if ('dir' in pick) return pick.dir;
  const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: 'Checkpoint series' });
  return folder?.[0]?.fsPath;
}
