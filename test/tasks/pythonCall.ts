/**
 * Calls a function of each program in the real CPython (python3), one process for all jobs: the
 * independent ground truth for callPython. The interpreter's ints are JS numbers, so a run that
 * ever holds an int of 2^40 or more (in a local or a local list) is reported as `overflow`, for
 * the caller to leave out, instead of a value the interpreter could not match exactly.
 */
import { execFileSync } from 'node:child_process';

export interface PyCallJob {
  source: string;
  fn: string;
  /** JSON values: numbers, booleans (True/False), strings, null (None), arrays (lists). */
  args: unknown[];
}

export type PyCallResult = { value: unknown } | { error: string } | { overflow: true };

const DRIVER = `
import json, sys

LIMIT = 2 ** 40

class Overflow(BaseException):  # so no "except Exception:" in a program catches it
    pass

def big(v):
    return type(v) is int and abs(v) >= LIMIT

def tracer(frame, event, arg):
    for v in frame.f_locals.values():
        if big(v) or (type(v) is list and any(big(x) for x in v)):
            raise Overflow()
    return tracer

out = []
for job in json.load(sys.stdin):
    env = {}
    try:
        exec(job["source"], env)
        sys.settrace(tracer)
        try:
            value = env[job["fn"]](*job["args"])
        finally:
            sys.settrace(None)
        out.append({"value": value})
    except Overflow:
        out.append({"overflow": True})
    except Exception as e:
        out.append({"error": type(e).__name__})
print(json.dumps(out, default=repr))
`;

export function callInPython(jobs: PyCallJob[]): PyCallResult[] {
  const stdout = execFileSync('python3', ['-c', DRIVER], { input: JSON.stringify(jobs), maxBuffer: 1 << 28 });
  return JSON.parse(stdout.toString());
}
