/**
 * The engine child process and its JSON-RPC connection, without any VS Code API (so it can be
 * tested with a real engine under plain Node). Restarts the engine with backoff when it dies, and
 * fails the requests that were in flight with a message saying so.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import {
  type CancellationToken,
  createMessageConnection,
  type MessageConnection,
  type NotificationHandler,
  type NotificationType,
  type RequestType,
  type RequestType0,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-jsonrpc/node';
import { EngineErrorCode, type EngineErrorData, type LogLevel } from '../../../engine/src/api/protocol';

export type EngineState =
  | { kind: 'starting' }
  | { kind: 'ready'; busy: number }
  | { kind: 'crashed'; message: string; restartInMs: number }
  | { kind: 'stopped' };

/** The user (or VS Code) cancelled the request. */
export class CancelledError extends Error {
  constructor() {
    super('Cancelled');
    this.name = 'Canceled'; // VS Code treats errors of this name as a silent cancellation
  }
}

/** The engine answered with an error; `code` is an EngineErrorCode, `subject` the file/field at fault. */
export class EngineRequestError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly subject?: string,
  ) {
    super(message);
    this.name = 'EngineRequestError';
  }
}

/** The engine process ended while the request was in flight. */
export class EngineExitedError extends Error {
  constructor(method: string, how: string) {
    super(`The Introspect engine stopped (${how}) while handling "${method}". It is restarting; try again in a moment.`);
    this.name = 'EngineExitedError';
  }
}

export interface EngineProcessOptions {
  /** The bundled engine, dist/engine.js. */
  enginePath: string;
  /** Executable that runs it; defaults to the current one (VS Code's Electron runs as Node with ELECTRON_RUN_AS_NODE). */
  execPath?: string;
  onLog?: (level: LogLevel | 'stderr', message: string) => void;
  onState?: (state: EngineState) => void;
  /** Runs after every (re)start before requests are let through, e.g. to load the model again. */
  onStarted?: (engine: EngineProcess) => Promise<void>;
  /** Delays before successive restarts; the last one repeats. */
  backoffMs?: number[];
  /** A process that stayed up this long resets the backoff. */
  stableAfterMs?: number;
}

interface Generation {
  child: ChildProcess;
  connection: MessageConnection;
  /** Rejects when this process exits. */
  exited: Promise<never>;
  startedAt: number;
  /** Set once `onStarted` has finished. */
  ready: boolean;
  /** How the process ended, once it has. */
  exitReason?: string;
}

export class EngineProcess {
  private current: Generation | undefined;
  /** Resolves when a started engine has run `onStarted`; replaced on every restart. */
  private ready: Promise<Generation>;
  private state: EngineState = { kind: 'stopped' };
  private busy = 0;
  private attempt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly notificationHandlers: Array<[NotificationType<unknown>, NotificationHandler<unknown>]> = [];

  constructor(private readonly opts: EngineProcessOptions) {
    this.ready = this.start();
  }

  get pid(): number | undefined {
    return this.current?.child.pid;
  }

  get currentState(): EngineState {
    return this.state;
  }

  /** Listens to a notification on this and every later engine process. */
  onNotification<P>(type: NotificationType<P>, handler: (params: P) => void): void {
    this.notificationHandlers.push([type as NotificationType<unknown>, handler as NotificationHandler<unknown>]);
    this.current?.connection.onNotification(type, handler);
  }

  request<R>(type: RequestType0<R, EngineErrorData>, token?: CancellationToken): Promise<R>;
  request<P, R>(type: RequestType<P, R, EngineErrorData>, params: P, token?: CancellationToken): Promise<R>;
  async request(type: RequestType<unknown, unknown, EngineErrorData> | RequestType0<unknown, EngineErrorData>, ...rest: unknown[]): Promise<unknown> {
    const token = (type.numberOfParams === 0 ? rest[0] : rest[1]) as CancellationToken | undefined;
    const gen = await this.whenReady(token);
    return this.send(gen, type, rest, token);
  }

  /** Sends on a generation that may still be running `onStarted` (used by that hook itself). */
  requestDuringStart<P, R>(type: RequestType<P, R, EngineErrorData>, params: P): Promise<R> {
    if (!this.current) throw new Error('The Introspect engine is not running.');
    return this.send(this.current, type, [params], undefined) as Promise<R>;
  }

  /** Stops the engine for good (extension deactivation). */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const gen = this.current;
    this.setState({ kind: 'stopped' });
    if (!gen) return;
    const exited = gen.exited.catch(() => undefined);
    gen.connection.end(); // the engine exits when its stdin closes
    const killTimer = setTimeout(() => gen.child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(killTimer);
  }

  /** Kills the running engine (it restarts like after a crash). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.current?.child.kill(signal);
  }

  private async send(gen: Generation, type: { method: string; numberOfParams: number }, rest: unknown[], token: CancellationToken | undefined): Promise<unknown> {
    if (token?.isCancellationRequested) throw new CancelledError();
    this.busy++;
    this.emitReady();
    try {
      const args = type.numberOfParams === 0 ? [] : [rest[0]];
      const sent = gen.connection.sendRequest(type.method, ...args, ...(token ? [token] : []));
      return await Promise.race([sent, gen.exited]);
    } catch (err) {
      if (gen.exitReason) throw new EngineExitedError(type.method, gen.exitReason);
      if (err instanceof ResponseError) {
        if (err.code === EngineErrorCode.Cancelled) throw new CancelledError();
        throw new EngineRequestError(err.message, err.code, (err.data as EngineErrorData | undefined)?.subject);
      }
      throw err;
    } finally {
      this.busy--;
      this.emitReady();
    }
  }

  private async whenReady(token: CancellationToken | undefined): Promise<Generation> {
    if (this.stopping) throw new Error('The Introspect engine has been stopped.');
    if (!token) return this.ready;
    return new Promise<Generation>((resolve, reject) => {
      const sub = token.onCancellationRequested(() => reject(new CancelledError()));
      this.ready.then(resolve, reject).finally(() => sub.dispose());
    });
  }

  private start(): Promise<Generation> {
    this.setState({ kind: 'starting' });
    const child = spawn(this.opts.execPath ?? process.execPath, [this.opts.enginePath], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    for (const [type, handler] of this.notificationHandlers) connection.onNotification(type, handler);
    createInterface({ input: child.stderr! }).on('line', (line) => this.opts.onLog?.('stderr', line));
    const exited = new Promise<never>((_, reject) => {
      child.once('error', (err) => reject(new Error(`could not start: ${err.message}`)));
      child.once('exit', (code, signal) => reject(new Error(signal ? `killed by ${signal}` : `exit code ${code}`)));
    });
    const gen: Generation = { child, connection, exited, startedAt: Date.now(), ready: false };
    exited.catch((how: Error) => this.onExit(gen, how.message));
    connection.listen();
    this.current = gen;
    const started = (async () => {
      // A failing start-up hook (say, a model folder that no longer exists) leaves a usable engine.
      const hook = this.opts.onStarted?.(this).catch((err: Error) => this.opts.onLog?.('error', err.message));
      await Promise.race([hook, exited]).catch((how: Error) => {
        throw new Error(`The Introspect engine stopped while starting (${how.message}); see the Introspect output.`);
      });
      gen.ready = true;
      this.emitReady();
      return gen;
    })();
    started.catch(() => undefined); // callers see the failure through `ready`
    return started;
  }

  private onExit(gen: Generation, how: string): void {
    gen.exitReason = how;
    gen.connection.dispose(); // rejects the requests still pending on it
    if (this.current !== gen) return;
    this.current = undefined;
    if (this.stopping) return;
    this.opts.onLog?.('error', `engine process ${gen.child.pid} stopped: ${how}`);
    const backoff = this.opts.backoffMs ?? [500, 1000, 2000, 5000, 10000, 30000];
    if (Date.now() - gen.startedAt > (this.opts.stableAfterMs ?? 60000)) this.attempt = 0;
    const delay = backoff[Math.min(this.attempt, backoff.length - 1)];
    this.attempt++;
    this.setState({ kind: 'crashed', message: `engine stopped (${how})`, restartInMs: delay });
    let resolveReady!: (g: Generation) => void;
    let rejectReady!: (e: unknown) => void;
    this.ready = new Promise<Generation>((res, rej) => {
      resolveReady = res;
      rejectReady = rej;
    });
    this.ready.catch(() => undefined);
    this.restartTimer = setTimeout(() => {
      if (this.stopping) return rejectReady(new Error('The Introspect engine has been stopped.'));
      this.start().then(resolveReady, rejectReady);
    }, delay);
  }

  private emitReady(): void {
    if (this.current?.ready && !this.stopping) this.setState({ kind: 'ready', busy: this.busy });
  }

  private setState(state: EngineState): void {
    this.state = state;
    this.opts.onState?.(state);
  }
}
