/** The benchmark suites, by name, for `introspect bench <suite>`. */
import { IntrospectError, nearest } from '../engine/src/errors';
import type { Suite } from '../engine/src/tasks/config';
import { booleanSimple } from './01_boolean_simple';
import { integerSimple } from './02_integer_simple';
import { rangeSimple } from './03_range_simple';
import { booleanAdvanced } from './04_boolean_advanced';
import { variableBinding } from './05_variable_binding';
import { robustSeeds } from './11_robust_seeds';
import { programKinds } from './12_program_kinds';

const SUITES: Suite[] = [booleanSimple, integerSimple, rangeSimple, booleanAdvanced, variableBinding, robustSeeds, programKinds];

export function listSuites(): Suite[] {
  return SUITES;
}

export function getSuite(name: string): Suite {
  const suite = SUITES.find((s) => s.name === name);
  if (!suite) {
    const names = SUITES.map((s) => s.name);
    throw new IntrospectError(`unknown suite "${name}" (did you mean "${nearest(name, names)}"? known: ${names.join(', ')})`, 'suite');
  }
  return suite;
}
