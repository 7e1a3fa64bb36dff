/**
 * Token targets of a trace, from the program's own parse mapped onto token positions through the
 * tokenizer's character spans: the right-hand side of every chain link by referential depth
 * ("Ref Depth 1 RHS" is the root literal), the query variable, and the final token.
 */
import type { TokenSpan, TraceTarget } from '../api/types';
import { IntrospectError } from '../errors';
import type { TraceProgram } from './chain';

export function traceTargets(program: TraceProgram, tokens: TokenSpan[]): TraceTarget[] {
  const queryLine = program.prompt.split('\n').length - 1;
  const targets: TraceTarget[] = [...program.chain].reverse().map((link) => ({
    label: `Ref Depth ${link.depth} RHS`,
    kind: 'rhs' as const,
    depth: link.depth,
    line: link.line,
    pos: lastTokenOver(tokens, link.rhsStart, link.rhsEnd),
  }));
  targets.push({ label: 'Query variable', kind: 'query', line: queryLine, pos: lastTokenOver(tokens, program.query.start, program.query.end) });
  targets.push({ label: 'Final token', kind: 'final', line: queryLine, pos: tokens.length - 1 });
  return targets;
}

/**
 * The last token overlapping [start, end): where a multi-token literal or name has been read in
 * full. A token merged with its neighbours (` 5` or `5\n`) still overlaps.
 */
export function lastTokenOver(tokens: TokenSpan[], start: number, end: number): number {
  for (let p = tokens.length - 1; p >= 0; p--) if (tokens[p].start < end && tokens[p].end > start) return p;
  throw new IntrospectError(`no token covers characters ${start}..${end} of the prompt`, 'tokenizer');
}
