/** A vscode-single-select filled with options ([value, label]) and set to `value`; the panels share it. */
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';

export function fillSelect(id: string, options: [string, string][], value: string): void {
  const el = document.getElementById(id) as HTMLElement & { value: string };
  el.replaceChildren(
    ...options.map(([v, label]) => {
      const o = document.createElement('vscode-option');
      o.setAttribute('value', v);
      o.textContent = label;
      return o;
    }),
  );
  el.value = value;
}
