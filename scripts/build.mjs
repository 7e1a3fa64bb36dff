// Bundles the engine (CLI + JSON-RPC server), the extension host code and the webviews with esbuild.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

// Webview bundles are minified: they ship in the .vsix and are never debugged from source there.
const web = { bundle: true, platform: 'browser', format: 'iife', target: 'es2022', minify: true };
const node = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning' };
// Native or runtime-resolved packages stay outside the bundle (resvg: a native addon; the DejaVu
// fonts are found with require.resolve at run time).
const external = ['onnxruntime-node', 'vscode', '@resvg/resvg-js', 'dejavu-fonts-ttf'];

const targets = [
  { entry: 'engine/src/cli.ts', out: 'dist/cli.js', ...node, external, banner: { js: '#!/usr/bin/env node' } },
  { entry: 'engine/src/server.ts', out: 'dist/engine.js', ...node, external },
  { entry: 'extension/src/extension.ts', out: 'dist/extension.js', ...node, external },
  { entry: 'webview/src/heatmap/main.ts', out: 'dist/webview/heatmap.js', ...web },
  { entry: 'webview/src/runner/main.ts', out: 'dist/webview/runner.js', ...web },
  { entry: 'webview/src/study/main.ts', out: 'dist/webview/study.js', ...web },
];

await Promise.all(
  targets
    .filter((t) => existsSync(t.entry))
    .map(({ entry, out, ...opts }) => build({ entryPoints: [entry], outfile: out, ...opts })),
);
