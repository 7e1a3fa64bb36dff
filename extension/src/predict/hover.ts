/**
 * Hover over a variable in Python or JS/TS: the model's top-k guesses for its value after that
 * line, with probabilities, model name and latency; optionally the value the code really produces.
 * The engine runs in its own process, so typing never waits on it; a hover that is dismissed
 * cancels its request.
 */
import * as vscode from 'vscode';
import type { Prediction } from '../../../engine/src/api/types';
import { agrees, captureValue, type CaptureResult } from '../actual/capture';
import { codeLanguage, codeThrough, identifierAt, isAssigned } from '../code/variables';
import type { EngineClient } from '../engine/client';
import { CancelledError } from '../engine/process';
import { readSettings } from '../settings';
import type { Predictor } from './predictor';

const SELECTOR: vscode.DocumentSelector = ['python', 'javascript', 'typescript', 'javascriptreact', 'typescriptreact'].map((language) => ({ language }));

export function register(context: vscode.ExtensionContext, engine: EngineClient, predictor: Predictor): void {
  context.subscriptions.push(
    vscode.languages.registerHoverProvider(SELECTOR, {
      provideHover: (doc, pos, token) => provideHover(engine, predictor, doc, pos, token),
    }),
  );
}

async function provideHover(
  engine: EngineClient,
  predictor: Predictor,
  doc: vscode.TextDocument,
  pos: vscode.Position,
  token: vscode.CancellationToken,
): Promise<vscode.Hover | undefined> {
  const lang = codeLanguage(doc.languageId);
  if (!lang || !engine.model) return undefined;
  const ident = identifierAt(doc.lineAt(pos.line).text, pos.character, lang);
  if (!ident) return undefined;
  const code = codeThrough(doc.getText(), pos.line);
  if (!isAssigned(code, ident.name, lang)) return undefined;
  const settings = readSettings();
  // Debounce: a pointer passing over many names only asks about the one it rests on.
  await new Promise((r) => setTimeout(r, settings.hoverDelayMs));
  if (token.isCancellationRequested) return undefined;
  const actualWanted = settings.predictedVsActual && vscode.workspace.isTrusted;
  const actual = actualWanted
    ? captureValue({ language: lang, code, line: pos.line + 1, variable: ident.name, timeoutMs: settings.actualTimeoutSec * 1000 })
    : undefined;
  let prediction;
  try {
    prediction = await predictor.predict(code, ident.name, token);
  } catch (err) {
    if (err instanceof CancelledError || token.isCancellationRequested) return undefined;
    const md = new vscode.MarkdownString(`**Introspect**: could not predict \`${ident.name}\`: `);
    md.appendText((err as Error).message); // the engine's words, not Markdown
    return new vscode.Hover(md);
  }
  const md = new vscode.MarkdownString(undefined, true); // true: render $(icon) codicons
  if (prediction.outOfDomain) {
    md.appendMarkdown(`**Introspect** — \`${ident.name}\` after line ${pos.line + 1}: $(warning) **outside the model's domain**\n\n`);
    md.appendText(prediction.outOfDomain); // the engine's words, not Markdown
    md.appendMarkdown('\n\n| guess | probability |\n|---|---:|\n');
  } else {
    md.appendMarkdown(`**Introspect** — predicted value of \`${ident.name}\` after line ${pos.line + 1}\n\n`);
    md.appendMarkdown('| token | probability |\n|---|---:|\n');
  }
  for (const t of prediction.top) md.appendMarkdown(`| \`${escapeCell(t.text)}\` | ${(100 * t.prob).toFixed(1)}% |\n`);
  if (prediction.value) md.appendMarkdown(`\nWhole value, written from the top token on: \`${escapeCell(prediction.value.text)}\` ${(100 * prediction.value.prob).toFixed(1)}%\n`);
  md.appendMarkdown(`\n${prediction.model} · ${engine.model.device} · ${prediction.latencyMs.toFixed(0)} ms\n`);
  if (prediction.omittedLines) md.appendMarkdown(`\n${omittedNote(prediction)}\n`);
  if (actual) describeActual(md, await actual, prediction.value?.text ?? prediction.top[0]?.text);
  else if (settings.predictedVsActual) md.appendMarkdown('\n\n_Actual value not shown: this workspace is not trusted, so Introspect does not run its code._');
  const range = new vscode.Range(pos.line, ident.start, pos.line, ident.start + ident.name.length);
  return new vscode.Hover(md, range);
}

function describeActual(md: vscode.MarkdownString, actual: CaptureResult, predicted: string | undefined): void {
  if (!actual.ok) {
    md.appendMarkdown(`\n\nActual value (${actual.runtime}): not available — `);
    md.appendText(actual.error); // the program's own output: shown as text, never as Markdown
    return;
  }
  const verdict = predicted !== undefined && agrees(predicted, actual.value) ? '$(check) agrees with the prediction' : '$(warning) **differs from the prediction**';
  md.appendMarkdown(`\n\nActual value (${actual.runtime}): \`${escapeCell(actual.value)}\` — ${verdict}`);
}

/** Why a prediction saw less than the whole file. */
export function omittedNote(p: Prediction): string {
  return `_The first ${p.omittedLines} line${p.omittedLines === 1 ? '' : 's'} of the file were left out: the prompt must fit ${p.model}'s context of ${p.contextTokens} tokens._`;
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/`/g, "'").replace(/\n/g, '⏎');
}
