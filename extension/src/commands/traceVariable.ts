/** "Trace This Variable": a patching sweep for the variable under the cursor, shown as a heatmap. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { codeLanguage, codeThrough, identifierAt } from '../code/variables';
import type { EngineClient } from '../engine/client';
import { CancelledError } from '../engine/process';
import type { HeatmapPanels } from '../heatmap/panel';
import { runTrace } from '../heatmap/trace';
import { CommandId } from './ids';

export function register(context: vscode.ExtensionContext, engine: EngineClient, panels: HeatmapPanels): void {
  context.subscriptions.push(vscode.commands.registerCommand(CommandId.TraceVariable, () => traceVariable(engine, panels)));
}

/** Resolves with the heatmap panel's title, or undefined when nothing was traced (the user was told why). */
async function traceVariable(engine: EngineClient, panels: HeatmapPanels): Promise<string | undefined> {
  const editor = vscode.window.activeTextEditor;
  const lang = editor && codeLanguage(editor.document.languageId);
  if (!editor || !lang) {
    void vscode.window.showWarningMessage('Introspect: put the cursor on a variable in a Python or JavaScript/TypeScript file.');
    return undefined;
  }
  const pos = editor.selection.active;
  const ident = identifierAt(editor.document.lineAt(pos.line).text, pos.character, lang);
  if (!ident) {
    void vscode.window.showWarningMessage('Introspect: the cursor is not on a variable.');
    return undefined;
  }
  if (!engine.model) {
    void vscode.window.showWarningMessage('Introspect: no model is loaded. Run "Introspect: Choose Model" first.');
    return undefined;
  }
  const subject = {
    code: codeThrough(editor.document.getText(), pos.line),
    variable: ident.name,
    line: pos.line + 1,
    file: editor.document.uri.fsPath || path.basename(editor.document.fileName),
    model: engine.model.name,
    intervention: 'resid' as const,
  };
  try {
    return panels.show(subject, await runTrace(engine, subject)).title;
  } catch (err) {
    if (err instanceof CancelledError) return undefined;
    engine.output.error(`trace of ${subject.variable} failed: ${(err as Error).message}`);
    void showTraceFailure(subject.variable, (err as Error).message);
    return undefined;
  }
}

/** A toast shows a line or two; a longer reason (refusals name lines, values and constructs) opens whole in a dialog. */
async function showTraceFailure(variable: string, reason: string): Promise<void> {
  const TOAST_CHARS = 160;
  if (reason.length <= TOAST_CHARS) {
    void vscode.window.showErrorMessage(`Introspect: could not trace ${variable}: ${reason}`);
    return;
  }
  const pick = await vscode.window.showErrorMessage(`Introspect: could not trace ${variable}: ${reason.slice(0, TOAST_CHARS - 40)}…`, 'Show Full Reason');
  if (pick) void vscode.window.showErrorMessage(`Introspect could not trace ${variable}`, { modal: true, detail: reason });
}
