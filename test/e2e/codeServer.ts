/**
 * Starting code-server (the real VS Code workbench and extension host, served to a browser) with a
 * fresh profile, private HOME/XDG folders, and stopping its whole process group.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CODE_SERVER, NODE24_BIN } from './tools';

export interface CodeServer {
  port: number;
  /** Profile, logs and private home of this run. */
  runDir: string;
  url(query: string): string;
  stop(): Promise<void>;
}

const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'editor.hover.delay': 300,
};

function env(runDir: string): NodeJS.ProcessEnv {
  const home = join(runDir, 'home');
  mkdirSync(home, { recursive: true });
  // code-server and chromium write into ~/.config, ~/.local/share and ~/.cache otherwise
  return {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    PATH: `${NODE24_BIN}:${process.env.PATH}`,
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Installs a .vsix into an extensions folder (code-server's own CLI, as a user would). */
export async function installExtension(vsix: string, extensionsDir: string, runDir: string): Promise<void> {
  await promisify(execFile)(CODE_SERVER, ['--extensions-dir', extensionsDir, '--user-data-dir', join(runDir, 'cli-user-data'), '--install-extension', vsix], {
    env: env(runDir),
  });
}

export interface StartOptions {
  runDir: string;
  extensionsDir: string;
  workspace: string;
  extraArgs?: string[];
  /** Keep workspace trust on (the workspace then opens untrusted); off by default. */
  workspaceTrust?: boolean;
  /** More user settings (machine-scoped ones, which a workspace cannot set, go here too). */
  userSettings?: Record<string, unknown>;
}

export async function startCodeServer(opts: StartOptions): Promise<CodeServer> {
  const { runDir } = opts;
  const userData = join(runDir, 'user-data');
  mkdirSync(join(userData, 'User'), { recursive: true });
  // With trust on and no start-up prompt, the workspace opens in Restricted Mode.
  const trust = opts.workspaceTrust ? { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never' } : { 'security.workspace.trust.enabled': false };
  const settings = { ...USER_SETTINGS, ...trust, ...opts.userSettings };
  writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify(settings, null, 1));
  // A remote window (code-server's) reads machine-scoped settings from the machine's own file.
  mkdirSync(join(userData, 'Machine'), { recursive: true });
  writeFileSync(join(userData, 'Machine', 'settings.json'), JSON.stringify(opts.userSettings ?? {}, null, 1));
  const port = await freePort();
  const log = openSync(join(runDir, 'code-server.log'), 'w');
  const child = spawn(
    CODE_SERVER,
    [
      '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
      ...(opts.workspaceTrust ? [] : ['--disable-workspace-trust']),
      '--user-data-dir', userData, '--extensions-dir', opts.extensionsDir, ...(opts.extraArgs ?? []), opts.workspace,
    ],
    { env: env(runDir), detached: true, stdio: ['ignore', log, log] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    // The whole group: killing only code-server can leave its extension host running for hours.
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 5000);
    await exited;
    clearTimeout(timer);
  };
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
    } catch {
      /* not up yet */
    }
    if (i > 300 || child.exitCode !== null) {
      await stop();
      throw new Error(`code-server did not come up; see ${join(runDir, 'code-server.log')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, runDir, url: (query) => `http://127.0.0.1:${port}/${query}`, stop };
}

export function makeRunDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
