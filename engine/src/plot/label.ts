import { renderable } from './font';

/** Control characters as visible marks (VS Code's "render whitespace" conventions). */
const MARKS: Record<string, string> = { '\n': '⏎', '\r': '␍', '\t': '→' };

/**
 * A label as it is drawn: newlines, tabs and other control characters made visible, glyphs the
 * font lacks escaped, and anything longer than `maxChars` shortened with an ellipsis. With
 * `showSpaces`, spaces become `·` too, for token text where a leading space matters.
 */
export function displayLabel(text: string, maxChars = 24, showSpaces = false): string {
  let shown = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (ch in MARKS) shown += MARKS[ch];
    else if (ch === ' ' && showSpaces) shown += '·';
    else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) shown += `\\x${cp.toString(16).padStart(2, '0')}`;
    else shown += ch;
  }
  const chars = [...renderable(shown)];
  return chars.length > maxChars ? chars.slice(0, maxChars - 1).join('') + '…' : chars.join('');
}

/**
 * A token's text as an axis label: whitespace visible (a token of only spaces as `␣`s, which a
 * lone `·` would be too faint for), empty tokens as `∅`, long ones shortened.
 */
export function tokenLabel(text: string, maxChars = 12): string {
  if (text === '') return '∅';
  if (/^ +$/.test(text)) return displayLabel('␣'.repeat(text.length), maxChars);
  return displayLabel(text, maxChars, true);
}
