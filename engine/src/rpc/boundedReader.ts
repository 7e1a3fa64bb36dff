/**
 * The engine's JSON-RPC door: reads `Content-Length` framed messages from a stream, as
 * vscode-jsonrpc's own reader does, but answers what that reader drops in silence, as JSON-RPC
 * 2.0 says: a message over the size cap (skipped as it arrives, never buffered), invalid JSON
 * (−32700), and an envelope that is not a request, a notification or a response — a batch, a
 * `jsonrpc` other than "2.0", a non-string method, an id that is not a string or number, params
 * that are neither an object nor an array (−32600, with the id when it is usable, else null).
 * Only well-formed messages reach the connection; `$/` notifications other than a cancel by id
 * are dropped (they get no answer either way).
 */
import type { Readable } from 'node:stream';
import { AbstractMessageReader, type DataCallback, type Disposable, type Message, type MessageWriter } from 'vscode-jsonrpc/node';
import { JsonRpcErrorCode } from '../api/protocol';

const HEADER_END = Buffer.from('\r\n\r\n');
/** Headers are a line or two; more than this without a blank line is not a header. */
const MAX_HEADER_BYTES = 8192;

type Reply = (id: string | number | null, code: number, message: string) => void;

export class BoundedMessageReader extends AbstractMessageReader {
  private buffer: Buffer = Buffer.alloc(0);
  /** Bytes of an oversized body still to skip. */
  private skipping = 0;
  private readonly reply: Reply;

  constructor(
    private readonly stream: Readable,
    writer: MessageWriter,
    private readonly maxBytes: number,
  ) {
    super();
    this.reply = (id, code, message) => void writer.write({ jsonrpc: '2.0', id, error: { code, message } } as Message).catch(() => undefined);
  }

  listen(callback: DataCallback): Disposable {
    const onData = (chunk: Buffer) => {
      try {
        this.take(chunk, callback);
      } catch (e) {
        this.fireError(e);
      }
    };
    const onEnd = () => this.fireClose();
    this.stream.on('data', onData);
    this.stream.on('end', onEnd);
    this.stream.on('close', onEnd);
    return { dispose: () => (this.stream.off('data', onData), this.stream.off('end', onEnd), this.stream.off('close', onEnd)) };
  }

  private take(chunk: Buffer, callback: DataCallback): void {
    // While a body is being skipped the buffer is empty (the loop below leaves only once it has
    // skipped all it holds), so a skipped chunk is never copied.
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      if (this.skipping > 0) {
        const skip = Math.min(this.skipping, this.buffer.length);
        this.skipping -= skip;
        this.buffer = this.buffer.subarray(skip);
        if (this.skipping > 0) return;
      }
      const end = this.buffer.indexOf(HEADER_END);
      if (end < 0) {
        if (this.buffer.length > MAX_HEADER_BYTES) {
          this.reply(null, JsonRpcErrorCode.ParseError, 'Parse error: no message header (expected "Content-Length: N" and a blank line)');
          this.buffer = Buffer.alloc(0);
        }
        return;
      }
      const header = this.buffer.subarray(0, end).toString('ascii');
      const match = /^content-length:\s*(\d+)\s*$/im.exec(header);
      const rest = this.buffer.subarray(end + HEADER_END.length);
      if (!match) {
        this.reply(null, JsonRpcErrorCode.ParseError, 'Parse error: the message header has no Content-Length');
        this.buffer = rest;
        continue;
      }
      const length = Number(match[1]);
      if (length > this.maxBytes) {
        this.reply(null, JsonRpcErrorCode.InvalidRequest, `Invalid Request: the message is ${length} bytes; at most ${this.maxBytes} are read`);
        this.skipping = length;
        this.buffer = rest;
        continue;
      }
      if (rest.length < length) return;
      const body = rest.subarray(0, length).toString('utf8');
      this.buffer = rest.subarray(length);
      const message = this.check(body);
      if (message) callback(message);
    }
  }

  /** The message, when it is a well-formed request, notification or response; else the error is answered. */
  private check(body: string): Message | undefined {
    let m: unknown;
    try {
      m = JSON.parse(body);
    } catch (e) {
      this.reply(null, JsonRpcErrorCode.ParseError, `Parse error: ${(e as Error).message}`);
      return undefined;
    }
    if (Array.isArray(m)) return this.invalid(null, 'batch requests are not supported; send one message at a time');
    if (typeof m !== 'object' || m === null) return this.invalid(null, 'a message must be a JSON object');
    const o = m as Record<string, unknown>;
    const idOk = typeof o.id === 'string' || (typeof o.id === 'number' && Number.isFinite(o.id));
    const id = idOk ? (o.id as string | number) : null;
    if (o.jsonrpc !== '2.0') return this.invalid(id, '"jsonrpc" must be "2.0"');
    if (!('method' in o)) {
      // A response to a request of the engine's own (it sends none today, but the protocol allows them).
      if (idOk && ('result' in o || 'error' in o)) return o as unknown as Message;
      return this.invalid(id, 'a message needs a "method" (or is a response with "result" or "error")');
    }
    if (typeof o.method !== 'string' || o.method === '') return this.invalid(id, '"method" must be a non-empty string');
    if ('id' in o && !idOk) return this.invalid(null, '"id" must be a string or a number');
    if ('params' in o && (typeof o.params !== 'object' || o.params === null))
      return this.invalid(id, '"params" must be an object or an array');
    // vscode-jsonrpc acts on `$/` notifications itself; a cancel without a usable id made it drop
    // the next request. The engine takes cancels (by id) and nothing else of that namespace.
    if (!('id' in o) && o.method.startsWith('$/')) {
      const cancelId = (o.params as { id?: unknown } | undefined)?.id;
      if (o.method !== '$/cancelRequest' || !(typeof cancelId === 'string' || typeof cancelId === 'number')) return undefined;
    }
    return o as unknown as Message;
  }

  private invalid(id: string | number | null, why: string): undefined {
    this.reply(id, JsonRpcErrorCode.InvalidRequest, `Invalid Request: ${why}`);
    return undefined;
  }
}
