/**
 * Prompt templates of the seed framework. Each wraps a program in instructions and ends where the
 * model's answer should begin. `{code}` is the program; `{variable}` the variable asked about
 * (default `x`, as in the seed's wording).
 */
import { IntrospectError, nearest } from '../errors';

export interface TemplateExtras {
  /** The variable the question names (default "x"; the exception template asks for "result"). */
  variable?: string;
}

export interface PromptTemplate {
  name: TemplateName;
  description: string;
  /** The kind of answer the template asks for. */
  answerKind: 'integer' | 'boolean' | 'any';
  /** The raw text with `{code}` and optional `{variable}` placeholders. */
  text: string;
  render(program: string, extras?: TemplateExtras): string;
}

const FENCE = '```python\n{code}\n```';

const TEXTS = {
  range_tracking: {
    description: 'Final value of an integer variable; answer right after "is: ".',
    answerKind: 'integer',
    text: `You are given a short Python program. Your task is to compute the final value of the variable {variable}.
Return only the integer, without commas, an equal sign, or any additional text. The integer should appear immediately after the word 'is: '.

${FENCE}

The final value of {variable} is: `,
  },
  boolean_logic: {
    // The seed said only "the final boolean value"; naming the variable disambiguates programs
    // that update several booleans (boolean_advanced).
    description: 'Final boolean value of a variable; answer True or False right after "is: ".',
    answerKind: 'boolean',
    text: `You are given a short Python program with boolean operations. Your task is to determine the final boolean value of {variable}.
Return only 'True' or 'False', without any additional text. The answer should appear immediately after the word 'is: '.

${FENCE}

The final boolean value is: `,
  },
  step_by_step: {
    description: 'Guided tracing scaffold, then the final value.',
    answerKind: 'integer',
    text: `You are given a short Python program. Let's trace through it step by step, then give the final answer.

${FENCE}

Let me trace through this:
1. First, I'll identify the initial state
2. Then I'll follow each operation
3. Finally, I'll give the result

The final value of {variable} is: `,
  },
  chain_of_thought: {
    description: 'Open-ended reasoning cue, then the final value.',
    answerKind: 'integer',
    text: `You are given a short Python program. Think step by step about what this code does.

${FENCE}

Let me work through this step by step:

The final value of {variable} is: `,
  },
  minimal: {
    description: 'Shortest instruction.',
    answerKind: 'integer',
    text: `Compute the final value of {variable}:

${FENCE}

Answer: `,
  },
  entity_tracking: {
    description: 'Generic final-state question.',
    answerKind: 'any',
    text: `You are given a short Python program. Your task is to determine the final state.
Return only the requested value, without any additional text. The answer should appear immediately after the word 'is: '.

${FENCE}

The final result is: `,
  },
  variable_binding: {
    description: 'The program itself: its last line `#q:` is the question (paper format).',
    answerKind: 'integer',
    text: '{code}',
  },
  query: {
    description: 'The program, then `#x:` on its own line: the query form of the embedded models and the hover.',
    answerKind: 'any',
    text: '{code}\n#{variable}:',
  },
  exception_handling: {
    description: 'Final value of `result` after try/except blocks.',
    answerKind: 'integer',
    text: `You are given a short Python program with exception handling. Your task is to determine the final value of the variable '{variable}'.
At each step, the program may or may not raise a ZeroDivisionError. Follow the execution path carefully.
Return only the final value, without any additional text. The answer should appear immediately after the word 'is: '.

${FENCE}

The final value of \`{variable}\` is: `,
  },
} as const;

export type TemplateName = keyof typeof TEXTS;
export const TEMPLATE_NAMES = Object.keys(TEXTS) as TemplateName[];

const DEFAULT_VARIABLE: Partial<Record<TemplateName, string>> = { exception_handling: 'result' };

export const TEMPLATES: Record<TemplateName, PromptTemplate> = Object.fromEntries(
  TEMPLATE_NAMES.map((name) => {
    const t = TEXTS[name];
    const template: PromptTemplate = {
      name,
      description: t.description,
      answerKind: t.answerKind,
      text: t.text,
      // One pass over the placeholders, so braces inside the program are never re-substituted.
      render: (program, extras = {}) =>
        t.text.replace(/\{(code|variable)\}/g, (_, key: string) =>
          key === 'code' ? program : (extras.variable ?? DEFAULT_VARIABLE[name] ?? 'x'),
        ),
    };
    return [name, template];
  }),
) as Record<TemplateName, PromptTemplate>;

export function getTemplate(name: string, field = 'template'): PromptTemplate {
  const t = TEMPLATES[name as TemplateName];
  if (!t) throw new IntrospectError(`unknown template "${name}" (did you mean "${nearest(name, TEMPLATE_NAMES)}"?)`, field);
  return t;
}
