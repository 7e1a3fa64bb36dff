/**
 * Runs programs in the real CPython (python3) in one process and returns the requested variable
 * of each: the independent ground truth for generators and the interpreter.
 */
import { execFileSync } from 'node:child_process';

export interface PyJob {
  program: string;
  variable: string;
}

const DRIVER = `
import json, sys
out = []
for job in json.load(sys.stdin):
    env = {}
    try:
        exec(job["program"], {}, env)
        out.append({"value": env.get(job["variable"])})
    except Exception as e:
        out.append({"error": type(e).__name__})
print(json.dumps(out))
`;

/** Values (numbers/booleans) or `{ error }` per job, in order. */
export function runInPython(jobs: PyJob[]): ({ value: number | boolean | null } | { error: string })[] {
  const stdout = execFileSync('python3', ['-c', DRIVER], { input: JSON.stringify(jobs), maxBuffer: 1 << 28 });
  return JSON.parse(stdout.toString());
}
