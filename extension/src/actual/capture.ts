/**
 * "Predicted vs actual": runs the code up to a line in a separate, time-limited process and reports
 * the value a variable holds after that line ran (its last value, when the line is in a loop).
 *
 * The child gets a fresh temporary working directory, an almost empty environment, a wall-clock
 * limit, CPU and memory limits, and its own process group, killed whole at the limit and at the
 * end. It may not start processes: Python's audit hook refuses fork, exec, spawn, subprocess and
 * ctypes; node runs with its permission model (no child processes, no file system writes) and
 * without code generation from strings (so `this.constructor.constructor` cannot reach `process`
 * from the vm). This keeps runaway snippets in check; it is not a security boundary, which is why
 * callers only run code in trusted workspaces.
 */
import { execFile, spawn } from 'node:child_process';
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
DENIED = ('os.fork', 'os.forkpty', 'os.posix_spawn', 'os.spawn', 'os.exec', 'os.system', 'os.setsid', 'subprocess.Popen', 'pty.spawn', 'ctypes.dlopen', 'ctypes.dlsym')
def deny(event, args):
    if event in DENIED:
        raise RuntimeError('the snippet may not start processes (' + event + ')')
sys.addaudithook(deny)
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

/** The flags that sandbox node (its permission model was renamed in Node 23); undefined before Node 20. */
let nodeFlags: Promise<string[] | undefined> | undefined;
function sandboxFlags(): Promise<string[] | undefined> {
  nodeFlags ??= new Promise((resolve) =>
    execFile('node', ['--version'], (err, out) => {
      const major = Number(/^v(\d+)/.exec(out ?? '')?.[1]);
      if (err || !(major >= 20)) return resolve(undefined);
      resolve([major >= 23 ? '--permission' : '--experimental-permission', '--disallow-code-generation-from-strings', '--max-old-space-size=256', '--no-warnings']);
    }),
  );
  return nodeFlags;
}

const MAX_OUTPUT = 1 << 20;

export async function captureValue(req: CaptureRequest): Promise<CaptureResult> {
  const runtime = req.language === 'python' ? 'python3' : 'node';
  const limitSec = Math.max(1, Math.ceil(req.timeoutMs / 1000));
  let args: string[];
  if (req.language === 'python') args = ['-I', '-c', PYTHON_HARNESS, String(req.line), req.variable, String(limitSec)];
  else {
    const flags = await sandboxFlags();
    if (!flags) return { ok: false, error: 'node 20 or later is needed to run the snippet in its sandbox', runtime };
    args = [...flags, '-e', JS_HARNESS, req.variable, String(req.timeoutMs)];
  }
  const cwd = await mkdtemp(join(tmpdir(), 'introspect-run-'));
  try {
    const stdout = await runGroup(runtime, args, req.code, cwd, req.timeoutMs);
    const parsed = JSON.parse(stdout) as { value?: string; type?: string; error?: string };
    return parsed.error !== undefined ? { ok: false, error: parsed.error, runtime } : { ok: true, value: parsed.value!, type: parsed.type!, runtime };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ok: false, error: e.code === 'ENOENT' ? `${runtime} was not found on PATH` : e.message, runtime };
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
}

/**
 * Runs a command in a process group of its own, feeding `input`; the whole group is killed at the
 * time limit and once the command ends, so nothing it left behind outlives it.
 */
function runGroup(cmd: string, args: string[], input: string, cwd: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' }, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is gone already
      }
    };
    let out = '';
    let errText = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      if (out.length > MAX_OUTPUT) killGroup();
    });
    child.stderr.on('data', (d: Buffer) => (errText = (errText + d).slice(-4096)));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      killGroup();
      if (timedOut) reject(new Error(`timed out after ${timeoutMs} ms`));
      else if (code !== 0 && !out) reject(new Error((errText.trim().split('\n').pop() || `exited with code ${code}`).trim()));
      else resolve(out);
    });
    child.stdin.on('error', () => undefined); // a child that exits without reading its input
    child.stdin.end(input);
  });
}

/** Whether a predicted token agrees with the captured value (both as the code would print them). */
export function agrees(predicted: string, actual: string): boolean {
  return predicted.trim() === actual.trim();
}
