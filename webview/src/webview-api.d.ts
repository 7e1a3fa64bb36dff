/** The API VS Code injects into webviews. */
interface VsCodeWebviewApi<S> {
  postMessage(message: unknown): void;
  getState(): S | undefined;
  setState(state: S): void;
}
declare function acquireVsCodeApi<S = unknown>(): VsCodeWebviewApi<S>;
