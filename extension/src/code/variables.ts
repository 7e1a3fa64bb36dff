/**
 * Finding variables in source text without a parser: which identifier is under the cursor, which
 * variable a line assigns, and the code a prediction sees (everything up to the line of interest).
 * Python and JavaScript/TypeScript only; both are line-oriented enough for this.
 */

export type CodeLanguage = 'python' | 'javascript';

const LANGUAGES: Record<string, CodeLanguage> = {
  python: 'python',
  javascript: 'javascript',
  typescript: 'javascript',
  javascriptreact: 'javascript',
  typescriptreact: 'javascript',
};

/** The language family of a VS Code language id, or undefined when it is not supported. */
export function codeLanguage(languageId: string): CodeLanguage | undefined {
  return LANGUAGES[languageId];
}

const IDENT: Record<CodeLanguage, RegExp> = { python: /[A-Za-z_]\w*/g, javascript: /[A-Za-z_$][\w$]*/g };

// Augmented assignments count; comparisons (`==`, `<=`, `>=`, `!=`) and arrows (`=>`) do not.
const ASSIGN_OP = String.raw`\s*(?:[-+*/%&|^@]|\*\*|//|<<|>>|>>>|\?\?|&&|\|\|)?=(?![=>])`;

/**
 * The identifier that covers `column` on `line`, if any. As in VS Code, a word's end counts as
 * inside it: a cursor just after `c` is on `c`.
 */
export function identifierAt(line: string, column: number, lang: CodeLanguage): { name: string; start: number } | undefined {
  for (const m of line.matchAll(IDENT[lang])) {
    if (m.index! <= column && column <= m.index! + m[0].length) {
      if (/^\d/.test(m[0])) return undefined;
      return { name: m[0], start: m.index! };
    }
  }
  return undefined;
}

function escape(name: string): string {
  return name.replace(/[$]/g, '\\$');
}

/** Whether `name` is given a value somewhere in `code`: assignment, loop variable, declaration or parameter. */
export function isAssigned(code: string, name: string, lang: CodeLanguage): boolean {
  const n = escape(name);
  const patterns =
    lang === 'python'
      ? [
          String.raw`(?:^|[\s,(])${n}${ASSIGN_OP}`, // x = …, a, x = …
          String.raw`\bfor\s+(?:[\w\s,()]*[\s,(])?${n}\b[\w\s,()]*\bin\b`, // for x in / for i, x in
          String.raw`\bdef\s+\w+\s*\([^)]*\b${n}\b`, // a parameter
          String.raw`\bas\s+${n}\b`, // with … as x
        ]
      : [
          String.raw`(?:^|[^\w$.])${n}${ASSIGN_OP}`,
          String.raw`\b(?:const|let|var)\s+(?:[^=;]*[\s,{[])?${n}\b`,
          String.raw`\bfunction\b[^(]*\((?:[^)]*[^\w$])?${n}\b`,
          String.raw`\bfor\s*\(\s*(?:const|let|var)\s+${n}\b`,
        ];
  return patterns.some((p) => new RegExp(p, 'm').test(code));
}

/** The variable a line assigns (`x = …`, `x += …`, `const x = …`), if it assigns exactly one name. */
export function assignedVariable(line: string, lang: CodeLanguage): string | undefined {
  const re =
    lang === 'python'
      ? new RegExp(String.raw`^\s*([A-Za-z_]\w*)${ASSIGN_OP}`)
      : new RegExp(String.raw`^\s*(?:(?:const|let|var)\s+)?([A-Za-z_$][\w$]*)(?:\s*:\s*[^=]+)?${ASSIGN_OP}`);
  return re.exec(line)?.[1];
}

/** The code a prediction for line `lineIndex` (0-based) sees: every line up to and including it. */
export function codeThrough(text: string, lineIndex: number): string {
  return text.split(/\r?\n/).slice(0, lineIndex + 1).join('\n');
}
