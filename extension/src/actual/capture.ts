/**
 * "Predicted vs actual": runs the code up to a line in a separate, time-limited process and reports
 * the value a variable holds after that line ran (its last value, when the line is in a loop).
 *
 * The child gets a fresh temporary working directory, an almost empty environment, no stdin, a
 * wall-clock limit and (Python) CPU and memory limits. This keeps runaway snippets in check; it is
 * not a security boundary, which is why callers only run code in trusted workspaces.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CodeLanguage } from '../code/variables';

export interface CaptureRequest {
  language: CodeLanguage;
  /** The code to run: everything up to and including the line of interest. */
  code: string;
  /** 1-based line whose effect we want to see (the last line of `code`). */
  line: number;
  variable: string;
  timeoutMs: number;
}

export type CaptureResult =
  | { ok: true; value: string; type: string; runtime: string }
  | { ok: false; error: string; runtime: string };

// Traces line events of the snippet's frames: once the target line ran in a frame, the frame's
// next event (next line or return) sees the variable's new value.
const PYTHON_HARNESS = String.raw`
import sys, io, json, resource
target, var, limit = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_CPU, (limit, limit))
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
src = sys.stdin.read()
out = sys.stdout
sys.stdout = io.StringIO()
seen, pending = {}, set()
def local(frame, event, arg):
    if id(frame) in pending and event in ('line', 'return'):
        pending.discard(id(frame))
        if var in frame.f_locals:
            v = frame.f_locals[var]
            seen['value'], seen['type'] = repr(v), type(v).__name__
    if event == 'line' and frame.f_lineno == target:
        pending.add(id(frame))
    return local
def tracer(frame, event, arg):
    return local if frame.f_code.co_filename == '<snippet>' else None
result = {}
try:
    code = compile(src, '<snippet>', 'exec')
    sys.settrace(tracer)
    try:
        exec(code, {'__name__': '__main__'})
    finally:
        sys.settrace(None)
except BaseException as e:
    result['error'] = type(e).__name__ + ': ' + str(e)
if 'value' in seen:
    result = {'value': seen['value'], 'type': seen['type']}
elif 'error' not in result:
    result['error'] = var + ' has no value after line ' + str(target)
out.write(json.dumps(result))
`;

// Runs the snippet in a fresh vm context (no require, no process) with the capture appended, so
// it works for code at the top level; a line inside an unclosed block cannot be captured this way.
const JS_HARNESS = String.raw`
const vm = require('node:vm'), util = require('node:util');
const [variable, limit] = process.argv.slice(-2);
let src = '';
process.stdin.on('data', (d) => (src += d)).on('end', () => {
  const sandbox = { console: { log() {}, error() {}, warn() {}, info() {} } };
  vm.createContext(sandbox);
  let result;
  try {
    const capture = '\n;globalThis.__introspect = { value: (' + variable + ') };';
    vm.runInContext(src + capture, sandbox, { filename: 'snippet.js', timeout: Number(limit) });
    const v = sandbox.__introspect.value;
    result = { value: util.inspect(v), type: v === null ? 'null' : typeof v };
  } catch (e) {
    result = { error: e && e.name === 'SyntaxError' ? 'cannot capture here (' + e.message + '): only top-level lines can be run' : String(e) };
  }
  process.stdout.write(JSON.stringify(result));
});
`;

export async function captureValue(req: CaptureRequest): Promise<CaptureResult> {
  const runtime = req.language === 'python' ? 'python3' : 'node';
  const limitSec = Math.max(1, Math.ceil(req.timeoutMs / 1000));
  const args =
    req.language === 'python'
      ? ['-I', '-c', PYTHON_HARNESS, String(req.line), req.variable, String(limitSec)]
      : ['-e', JS_HARNESS, req.variable, String(req.timeoutMs)];
  const cwd = await mkdtemp(join(tmpdir(), 'introspect-run-'));
  try {
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = execFile(
        runtime,
        args,
        { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' }, timeout: req.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1 << 20 },
        (err, out, errText) => {
          if (err && (err as { killed?: boolean }).killed) reject(new Error(`timed out after ${req.timeoutMs} ms`));
          else if (err && !out) reject(new Error((errText || err.message).trim().split('\n').pop()));
          else resolve(out);
        },
      );
      child.stdin!.end(req.code);
    });
    const parsed = JSON.parse(stdout) as { value?: string; type?: string; error?: string };
    return parsed.error !== undefined ? { ok: false, error: parsed.error, runtime } : { ok: true, value: parsed.value!, type: parsed.type!, runtime };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ok: false, error: e.code === 'ENOENT' ? `${runtime} was not found on PATH` : e.message, runtime };
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
}

/** Whether a predicted token agrees with the captured value (both as the code would print them). */
export function agrees(predicted: string, actual: string): boolean {
  return predicted.trim() === actual.trim();
}
