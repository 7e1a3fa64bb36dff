/** "Show Engine Status": what the engine process reports, with the log and a restart at hand. */
import * as vscode from 'vscode';
import { statusRequest } from '../../../engine/src/api/protocol';
import type { EngineClient } from '../engine/client';
import { CommandId } from './ids';

export function register(context: vscode.ExtensionContext, engine: EngineClient): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(CommandId.ShowStatus, async () => {
      let text: string;
      try {
        const s = await engine.request(statusRequest);
        const m = s.model;
        text = `Introspect engine: running (pid ${s.pid}, Node ${s.node}). ` +
          (m ? `Model: ${m.name} (${m.modelType}, ${m.nLayers} layers, ${m.nHeads} heads, d ${m.dModel}) on ${m.device}, ${m.dtype}.` : 'No model loaded.');
      } catch (err) {
        text = `Introspect engine: ${engine.engineState.kind} — ${(err as Error).message}`;
      }
      // Not awaited: the message stays until dismissed, and the command returns the text at once.
      void vscode.window.showInformationMessage(text, 'Show Log', 'Restart Engine').then((action) => {
        if (action === 'Show Log') engine.output.show();
        if (action === 'Restart Engine') engine.restart();
      });
      return text;
    }),
  );
}
