/**
 * "Choose Model": the embedded model, recently used folders, folders from the settings, models in
 * the local Hugging Face hub cache, or a folder picker. A folder is checked to be a checkpoint
 * folder before it is saved; the configuration listener in extension.ts then loads it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { listModelsRequest } from '../../../engine/src/api/protocol';
import type { EngineClient } from '../engine/client';
import { readSettings, updateSetting } from '../settings';
import { CommandId } from './ids';

const RECENT_KEY = 'introspect.recentModels';
const RECENT_MAX = 8;

export function register(context: vscode.ExtensionContext, engine: EngineClient): void {
  context.subscriptions.push(vscode.commands.registerCommand(CommandId.ChooseModel, (dir?: string) => chooseModel(context, engine, dir)));
}

interface ModelItem extends vscode.QuickPickItem {
  /** '' is the embedded model; absent: browse. */
  dir?: string;
}

/** What a checkpoint folder lacks, or undefined when it has config.json, weights and tokenizer.json. */
export function checkpointProblem(dir: string): string | undefined {
  if (!existsSync(dir)) return 'the folder does not exist';
  const missing = [
    existsSync(join(dir, 'config.json')) ? '' : 'config.json',
    existsSync(join(dir, 'model.safetensors')) || existsSync(join(dir, 'model.safetensors.index.json')) ? '' : 'model.safetensors (or a sharded model.safetensors.index.json)',
    existsSync(join(dir, 'tokenizer.json')) ? '' : 'tokenizer.json',
  ].filter(Boolean);
  return missing.length ? `it has no ${missing.join(', no ')}` : undefined;
}

/** `dir` skips the picker (for keybindings and tests; '' is the embedded model). */
async function chooseModel(context: vscode.ExtensionContext, engine: EngineClient, dir?: string): Promise<boolean> {
  const s = readSettings();
  if (dir === undefined) {
    const hub = await engine.request(listModelsRequest).catch((err: Error) => {
      engine.output.warn(`could not list the hub cache: ${err.message}`);
      return [];
    });
    const recent = context.globalState.get<string[]>(RECENT_KEY, []);
    const folder = (d: string, detail: string): ModelItem => ({ label: d.split(/[\\/]/).filter(Boolean).pop() ?? d, description: d, detail: d === s.model ? `${detail} · in use` : detail, dir: d });
    // A folder is offered once, under the first heading it appears in.
    const seen = new Set<string>();
    const once = (items: ModelItem[]) =>
      items.filter((i) => {
        if (seen.has(i.dir!)) return false;
        seen.add(i.dir!);
        return true;
      });
    const items: ModelItem[] = [
      { label: 'program-tracer', description: 'the embedded model', detail: s.model ? 'a 6-layer model trained on the benchmark\'s program kinds and variable binding' : 'in use', dir: '' },
      ...once(recent.map((d) => folder(d, 'recently used'))),
      ...once([s.model, ...s.modelFolders].filter(Boolean).map((d) => folder(d, 'from the settings'))),
      ...once(hub.map((m) => ({ label: m.id, description: m.dir, detail: 'Hugging Face hub cache', dir: m.dir }))),
      { label: '$(folder-opened) Browse for a checkpoint folder…' },
    ];
    const pick = await vscode.window.showQuickPick(items, { title: 'Introspect: choose a model', matchOnDescription: true });
    if (!pick) return false;
    dir = pick.dir;
    if (dir === undefined) {
      const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Use this checkpoint' });
      if (!picked?.[0]) return false;
      dir = picked[0].fsPath;
    }
  }
  if (dir) {
    const problem = checkpointProblem(dir);
    if (problem) {
      void vscode.window.showErrorMessage(`Introspect: ${dir} is not a checkpoint folder: ${problem}. The model was not changed.`);
      return false;
    }
    const recent = context.globalState.get<string[]>(RECENT_KEY, []);
    await context.globalState.update(RECENT_KEY, [dir, ...recent.filter((d) => d !== dir)].slice(0, RECENT_MAX));
  }
  await updateSetting('model', dir);
  return true;
}
