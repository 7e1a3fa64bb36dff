/**
 * The engine process (dist/engine.js, as the extension starts it) spoken to on the wire: any bytes
 * can be sent — malformed frames, broken JSON, wrong envelopes — and every reply is read back by id.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const ENGINE = join(__dirname, '..', '..', 'dist', 'engine.js');

export interface Reply {
  id: string | number | null;
  result?: unknown;
  error?: { code: number; message: string };
}

export class WireEngine {
  private buffer = Buffer.alloc(0);
  /** Replies not yet taken, in arrival order. */
  readonly replies: Reply[] = [];
  private waiters: (() => void)[] = [];
  exitCode: number | null | undefined;
  readonly stderr: string[] = [];

  private constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (chunk: Buffer) => this.take(chunk));
    child.stderr!.on('data', (chunk: Buffer) => this.stderr.push(chunk.toString()));
    child.on('exit', (code) => {
      this.exitCode = code;
      this.wake();
    });
  }

  static start(env: NodeJS.ProcessEnv = {}): WireEngine {
    return new WireEngine(spawn(process.execPath, [ENGINE], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } }));
  }

  /** Writes a framed body (a string or bytes as they are; an object as JSON). */
  send(body: string | Buffer | object): void {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    this.child.stdin!.write(Buffer.concat([Buffer.from(`Content-Length: ${bytes.length}\r\n\r\n`), bytes]));
  }

  /** Raw bytes, no framing added. */
  write(bytes: string | Buffer): void {
    this.child.stdin!.write(bytes);
  }

  request(id: string | number, method: string, params?: unknown): void {
    this.send({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });
  }

  /** The next reply matching `match` (log and progress notifications are skipped), within `ms`. */
  async next(match: (r: Reply) => boolean = () => true, ms = 10_000): Promise<Reply> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.replies.findIndex(match);
      if (i >= 0) return this.replies.splice(i, 1)[0];
      if (this.exitCode !== undefined) throw new Error(`the engine exited (${this.exitCode}): ${this.stderr.join('').slice(-2000)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no reply in time');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
  }

  /** The reply to request `id`. */
  reply(id: string | number | null, ms?: number): Promise<Reply> {
    return this.next((r) => r.id === id, ms);
  }

  async stop(): Promise<void> {
    if (this.exitCode !== undefined) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin!.end();
    const t = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
  }

  private take(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) break;
      const length = Number(/Content-Length: (\d+)/i.exec(this.buffer.subarray(0, end).toString())![1]);
      if (this.buffer.length < end + 4 + length) break;
      const m = JSON.parse(this.buffer.subarray(end + 4, end + 4 + length).toString());
      this.buffer = this.buffer.subarray(end + 4 + length);
      if ('id' in m) this.replies.push(m as Reply);
    }
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
