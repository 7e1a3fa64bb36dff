/** Entry point: creates the engine client and wires every contribution; nothing else happens here. */
import * as vscode from 'vscode';
import * as chooseDevice from './commands/chooseDevice';
import * as chooseModel from './commands/chooseModel';
import * as predictSelection from './commands/predictSelection';
import * as runExperiment from './commands/runExperiment';
import * as showStatus from './commands/showStatus';
import * as traceVariable from './commands/traceVariable';
import { EngineClient } from './engine/client';
import { HeatmapPanels } from './heatmap/panel';
import * as hover from './predict/hover';
import { Predictor } from './predict/predictor';
import { RunnerView } from './runner/view';
import { StudyPanels } from './study/panel';
import { SECTION } from './settings';

let engine: EngineClient | undefined;

export function activate(context: vscode.ExtensionContext): { engine: EngineClient } {
  engine = new EngineClient(context);
  context.subscriptions.push(engine);
  const predictor = new Predictor(engine);
  const panels = new HeatmapPanels(context, engine);
  const runner = new RunnerView(context, engine, new StudyPanels(context, engine));
  hover.register(context, engine, predictor);
  predictSelection.register(context, engine, predictor);
  traceVariable.register(context, engine, panels);
  runExperiment.register(context, engine, runner);
  chooseModel.register(context, engine);
  chooseDevice.register(context);
  showStatus.register(context, engine);
  const client = engine;
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!['model', 'device', 'dtype'].some((k) => e.affectsConfiguration(`${SECTION}.${k}`))) return;
      void vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Introspect: loading model' }, () => client.reloadModel());
    }),
  );
  // Returned for the in-extension-host tests (vscode.extensions.getExtension(...).exports).
  return { engine };
}

export async function deactivate(): Promise<void> {
  await engine?.stop();
}
