/** "Choose Model": a checkpoint folder from the local Hugging Face hub cache, the settings, or a folder picker. */
import * as vscode from 'vscode';
import { listModelsRequest } from '../../../engine/src/api/protocol';
import type { EngineClient } from '../engine/client';
import { readSettings, updateSetting } from '../settings';
import { CommandId } from './ids';

export function register(context: vscode.ExtensionContext, engine: EngineClient): void {
  context.subscriptions.push(vscode.commands.registerCommand(CommandId.ChooseModel, (dir?: string) => chooseModel(engine, dir)));
}

interface ModelItem extends vscode.QuickPickItem {
  dir?: string;
}

/** `dir` skips the picker (for keybindings and tests). */
async function chooseModel(engine: EngineClient, dir?: string): Promise<void> {
  if (!dir) {
    const s = readSettings();
    const hub = await engine.request(listModelsRequest).catch((err: Error) => {
      engine.output.warn(`could not list the hub cache: ${err.message}`);
      return [];
    });
    const items: ModelItem[] = [
      { label: '$(folder-opened) Browse for a checkpoint folder…' },
      ...[...new Set([s.model, ...s.modelFolders].filter(Boolean))].map((d) => ({ label: d.split(/[\\/]/).pop()!, description: d, detail: d === s.model ? 'in use' : undefined, dir: d })),
      ...hub.map((m) => ({ label: m.id, description: m.dir, detail: 'Hugging Face hub cache', dir: m.dir })),
    ];
    const pick = await vscode.window.showQuickPick(items, { title: 'Introspect: choose a model', matchOnDescription: true });
    if (!pick) return;
    dir = pick.dir;
    if (!dir) {
      const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Use this checkpoint' });
      if (!folder?.[0]) return;
      dir = folder[0].fsPath;
    }
  }
  // The configuration listener in extension.ts loads it.
  await updateSetting('model', dir);
}
