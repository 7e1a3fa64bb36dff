/**
 * The HTML shell every webview of the extension uses: a strict Content-Security-Policy (scripts
 * only with this page's nonce, styles, fonts and images only from the extension's own files),
 * and the bundled script and stylesheet loaded through asWebviewUri.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

export interface WebviewPage {
  /** Bundle name under dist/webview/ (heatmap → heatmap.js + heatmap.css). */
  bundle: string;
  title: string;
  /** Static markup of the page's body; the script fills it in. */
  body: string;
}

/** Options for a webview that may load only dist/webview/. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')] };
}

export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, page: WebviewPage): string {
  const nonce = randomBytes(16).toString('base64');
  const asset = (ext: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', `${page.bundle}.${ext}`));
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${asset('css')}">
<title>${page.title}</title>
</head>
<body>
${page.body}
<script nonce="${nonce}" src="${asset('js')}"></script>
</body>
</html>`;
}
