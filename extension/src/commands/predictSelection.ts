/**
 * "Predict Values in Selection": for each line of the selection (the whole file when nothing is
 * selected) that assigns a variable, shows the model's prediction of its value after the line as an
 * inline decoration. Decorations go away when the document changes or on "Clear Predictions".
 */
import * as vscode from 'vscode';
import { assignedVariable, codeLanguage, codeThrough } from '../code/variables';
import type { EngineClient } from '../engine/client';
import { CancelledError } from '../engine/process';
import { omittedNote } from '../predict/hover';
import { formatTop, type Predictor } from '../predict/predictor';
import { CommandId } from './ids';

export function register(context: vscode.ExtensionContext, engine: EngineClient, predictor: Predictor): void {
  const decoration = vscode.window.createTextEditorDecorationType({
    after: { margin: '0 0 0 2em', color: new vscode.ThemeColor('editorCodeLens.foreground'), fontStyle: 'italic' },
  });
  context.subscriptions.push(
    decoration,
    vscode.commands.registerCommand(CommandId.PredictSelection, () => predictSelection(engine, predictor, decoration)),
    vscode.commands.registerCommand(CommandId.ClearPredictions, () => vscode.window.activeTextEditor?.setDecorations(decoration, [])),
    vscode.workspace.onDidChangeTextDocument((e) => {
      for (const ed of vscode.window.visibleTextEditors) if (ed.document === e.document) ed.setDecorations(decoration, []);
    }),
  );
}

async function predictSelection(engine: EngineClient, predictor: Predictor, decoration: vscode.TextEditorDecorationType): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  const lang = editor && codeLanguage(editor.document.languageId);
  if (!editor || !lang) {
    void vscode.window.showWarningMessage('Introspect: open a Python or JavaScript/TypeScript file to predict values.');
    return;
  }
  if (!engine.model) {
    void vscode.window.showWarningMessage('Introspect: no model is loaded. Run "Introspect: Choose Model" first.');
    return;
  }
  const doc = editor.document;
  const sel = editor.selection;
  const [first, last] = sel.isEmpty ? [0, doc.lineCount - 1] : [sel.start.line, sel.end.line];
  const targets: { line: number; variable: string }[] = [];
  for (let line = first; line <= last; line++) {
    const variable = assignedVariable(doc.lineAt(line).text, lang);
    if (variable) targets.push({ line, variable });
  }
  if (targets.length === 0) {
    void vscode.window.showInformationMessage('Introspect: no assignments in the selection.');
    return;
  }
  const text = doc.getText();
  const version = doc.version;
  const decorations: vscode.DecorationOptions[] = [];
  try {
    await engine.withProgress('Introspect: predicting values', async (token, _progressToken, report) => {
      for (const [i, t] of targets.entries()) {
        report({ done: i, total: targets.length, message: `${t.variable} (line ${t.line + 1})` });
        const p = await predictor.predict(codeThrough(text, t.line), t.variable, token);
        if (doc.version !== version) return; // edited meanwhile: these predictions are stale
        const end = doc.lineAt(t.line).range.end;
        // Short at the line's end (a split editor is narrow); the detail is in the hover.
        const hover = new vscode.MarkdownString(
          `**${t.variable}** after line ${t.line + 1} — ${p.outOfDomain ? 'guesses (outside the model\'s domain): ' : ''}${p.top.map((x) => `\`${x.text.replace(/`/g, "'")}\` ${(100 * x.prob).toFixed(1)}%`).join(', ')}${p.value ? `; whole value \`${p.value.text}\` ${(100 * p.value.prob).toFixed(1)}%` : ''}\n\n${p.model}, ${p.latencyMs.toFixed(0)} ms` +
            (p.omittedLines ? `\n\n${omittedNote(p)}` : ''),
        );
        if (p.outOfDomain) hover.appendMarkdown('\n\n').appendText(p.outOfDomain);
        const shown = p.outOfDomain ? `⟶ out of domain, guess ${formatTop(p)}` : `⟶ ${formatTop(p)}`;
        decorations.push({ range: new vscode.Range(end, end), hoverMessage: hover, renderOptions: { after: { contentText: shown } } });
        editor.setDecorations(decoration, decorations);
      }
    });
  } catch (err) {
    if (!(err instanceof CancelledError)) void vscode.window.showErrorMessage(`Introspect: ${(err as Error).message}`);
  }
}
