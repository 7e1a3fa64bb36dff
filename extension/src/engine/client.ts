/**
 * The extension's handle on the engine: the child process (./process.ts) plus what the user sees
 * of it — a status-bar item (state, model, device), the "Introspect" output channel with the
 * engine's logs, and progress notifications with a Cancel button for long requests.
 */
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { RequestType, RequestType0 } from 'vscode-jsonrpc';
import {
  checkParams,
  type EngineErrorData,
  loadModelRequest,
  type LoadModelParams,
  logNotification,
  type Notification,
  progressNotification,
  type ProgressParams,
} from '../../../engine/src/api/protocol';
import type { ModelInfo } from '../../../engine/src/api/types';
import { CommandId } from '../commands/ids';
import { readSettings, updateSetting } from '../settings';
import { EngineProcess, type EngineState } from './process';

const USE_EMBEDDED = 'Use the embedded model';

export class EngineClient implements vscode.Disposable {
  readonly output: vscode.LogOutputChannel;
  private readonly status: vscode.StatusBarItem;
  private readonly engine: EngineProcess;
  private readonly progressListeners = new Map<string, Set<(p: ProgressParams) => void>>();
  private readonly modelChanged = new vscode.EventEmitter<ModelInfo | undefined>();
  /** Fires after a model was loaded, or a load failed (then with the model kept, if any). */
  readonly onModelChanged = this.modelChanged.event;
  private state: EngineState = { kind: 'starting' };
  private modelInfo: ModelInfo | undefined;
  private modelError: string | undefined;
  /** The load failure last shown to the user, so an engine restart does not repeat it. */
  private shownError: string | undefined;

  constructor(context: vscode.ExtensionContext) {
    this.output = vscode.window.createOutputChannel('Introspect', { log: true });
    this.status = vscode.window.createStatusBarItem('introspect.engine', vscode.StatusBarAlignment.Right, 100);
    this.status.name = 'Introspect engine';
    this.status.command = CommandId.ShowStatus;
    this.status.show();
    this.engine = new EngineProcess({
      enginePath: context.asAbsolutePath('dist/engine.js'),
      onLog: (level, message) => this.log(level, message),
      onState: (state) => {
        this.state = state;
        this.render();
      },
      // `engine` rather than this.engine: the first start runs inside EngineProcess's constructor.
      onStarted: (engine) => this.loadConfiguredModel((params) => engine.requestDuringStart(loadModelRequest, params)),
    });
    this.listen(logNotification, (p) => this.log(p.level, p.message));
    this.listen(progressNotification, (p) => this.progressListeners.get(p.token)?.forEach((l) => l(p)));
  }

  /** A notification handler that gets only payloads its schema accepts. */
  private listen<P>(type: Notification<P>, handler: (p: P) => void): void {
    this.engine.onNotification(type, (raw: unknown) => {
      const checked = checkParams(type.params, raw);
      if (checked.ok) handler(checked.value);
      else this.output.warn(`ignored a malformed ${type.method} notification from the engine: ${checked.message}`);
    });
  }

  get model(): ModelInfo | undefined {
    return this.modelInfo;
  }

  get engineState(): EngineState {
    return this.state;
  }

  get pid(): number | undefined {
    return this.engine.pid;
  }

  request<R>(type: RequestType0<R, EngineErrorData>, token?: vscode.CancellationToken): Promise<R>;
  request<P, R>(type: RequestType<P, R, EngineErrorData>, params: P, token?: vscode.CancellationToken): Promise<R>;
  request(type: RequestType<unknown, unknown, EngineErrorData> | RequestType0<unknown, EngineErrorData>, ...rest: unknown[]): Promise<unknown> {
    return (this.engine.request as (t: unknown, ...r: unknown[]) => Promise<unknown>)(type, ...rest);
  }

  /**
   * Runs a long request under a cancellable progress notification. `run` gets the token to pass
   * on and a progress token to put in the request's params.
   */
  withProgress<R>(
    title: string,
    run: (token: vscode.CancellationToken, progressToken: string, report: (p: Omit<ProgressParams, 'token'>) => void) => Promise<R>,
  ): Promise<R> {
    return Promise.resolve(
      vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
        const progressToken = randomUUID();
        let reported = 0;
        const report = (p: Omit<ProgressParams, 'token'>) => {
          const pct = p.total > 0 ? (100 * p.done) / p.total : 0;
          progress.report({ increment: pct - reported, message: p.message ?? `${p.done}/${p.total}` });
          reported = pct;
        };
        const sub = this.onProgress(progressToken, report);
        try {
          return await run(token, progressToken, report);
        } finally {
          sub.dispose();
        }
      }),
    );
  }

  /** Listens to the engine's progress notifications for one progress token. */
  onProgress(progressToken: string, listener: (p: ProgressParams) => void): vscode.Disposable {
    const set = this.progressListeners.get(progressToken) ?? new Set();
    set.add(listener);
    this.progressListeners.set(progressToken, set);
    return new vscode.Disposable(() => {
      set.delete(listener);
      if (set.size === 0) this.progressListeners.delete(progressToken);
    });
  }

  /** Loads the model the settings name (after a settings change); the status bar shows the outcome. */
  reloadModel(): Promise<void> {
    return this.loadConfiguredModel((params) => this.engine.request(loadModelRequest, params));
  }

  /**
   * Loads the configured model. A failure keeps what the engine had (model/load replaces its model
   * only on success) — or, when it had none, loads the embedded model — and says why once, in the
   * output channel and in a message that offers the way back.
   */
  private async loadConfiguredModel(load: (params: LoadModelParams) => Promise<ModelInfo>): Promise<void> {
    const s = readSettings();
    // No model chosen: the engine loads the embedded default (models/program-tracer).
    const params = { dir: s.model, device: s.device, dtype: s.dtype };
    try {
      this.setModel(await load(params), undefined);
      this.shownError = undefined;
      return;
    } catch (err) {
      const message = (err as Error).message;
      this.output.error(`could not load the model ${s.model || '(embedded)'}: ${message}`);
      let kept = this.modelInfo;
      if (!kept && s.model) kept = await load({ ...params, dir: '' }).catch(() => undefined);
      this.setModel(kept, message);
      if (this.shownError === message) return;
      this.shownError = message;
      const keeping = kept ? ` Keeping ${kept.name}.` : '';
      void vscode.window.showErrorMessage(`Introspect: could not load ${s.model || 'the embedded model'}: ${message.replace(/\.$/, '')}.${keeping}`, USE_EMBEDDED, 'Choose Model…').then((action) => {
        if (action === USE_EMBEDDED) void updateSetting('model', '');
        if (action === 'Choose Model…') void vscode.commands.executeCommand(CommandId.ChooseModel);
      });
    }
  }

  /** Kills the engine process; it restarts as after a crash (used by the status command). */
  restart(): void {
    this.engine.kill('SIGTERM');
  }

  dispose(): void {
    void this.engine.stop();
    this.status.dispose();
    this.output.dispose();
    this.modelChanged.dispose();
  }

  /** Stops the engine and waits for it to exit (deactivate). */
  stop(): Promise<void> {
    return this.engine.stop();
  }

  private setModel(info: ModelInfo | undefined, error: string | undefined): void {
    this.modelInfo = info;
    this.modelError = error;
    this.modelChanged.fire(info);
    this.render();
  }

  private log(level: string, message: string): void {
    switch (level) {
      case 'error':
        this.output.error(message);
        break;
      case 'warn':
        this.output.warn(message);
        break;
      case 'debug':
        this.output.debug(message);
        break;
      case 'stderr':
        this.output.info(`[engine stderr] ${message}`);
        break;
      default:
        this.output.info(message);
    }
  }

  private render(): void {
    const m = this.modelInfo;
    const model = (m ? `${m.name} · ${m.device}` : 'no model') + (this.modelError ? ' $(warning)' : '');
    const s = this.state;
    this.status.backgroundColor = undefined;
    switch (s.kind) {
      case 'starting':
        this.status.text = '$(sync~spin) Introspect: starting';
        break;
      case 'ready':
        this.status.text = s.busy > 0 ? `$(loading~spin) Introspect: ${model}` : `$(pulse) Introspect: ${model}`;
        break;
      case 'crashed':
        this.status.text = '$(error) Introspect: engine stopped';
        this.status.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        break;
      case 'stopped':
        this.status.text = '$(circle-slash) Introspect: stopped';
    }
    const lines = [
      `Engine: ${s.kind}${s.kind === 'ready' && s.busy ? ` (${s.busy} request${s.busy > 1 ? 's' : ''} running)` : ''}`,
      s.kind === 'crashed' ? `${s.message}; restarting in ${Math.round(s.restartInMs / 100) / 10} s` : undefined,
      m ? `Model: ${m.name} (${m.modelType}, ${m.nLayers} layers, ${m.nHeads} heads) on ${m.device}, ${m.dtype}` : 'Model: none loaded',
      this.modelError ? `The configured model failed to load: ${this.modelError}` : undefined,
    ];
    this.status.tooltip = lines.filter(Boolean).join('\n');
  }
}
