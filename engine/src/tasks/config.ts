/**
 * Experiment configs and suites. A config is plain JSON (names, not functions), so a run folder
 * records exactly what ran and a resumed run can check it is continuing the same experiment.
 */
import { IntrospectError } from '../errors';
import { resolveGenerator, type GeneratorSpec } from './generators';
import { getParser, type ParserName } from './parsers';
import { getTemplate, type TemplateName } from './prompts';
import { Rng } from './rng';

export interface ExperimentConfig {
  name: string;
  template: TemplateName;
  generator: GeneratorSpec;
  parser: ParserName;
  /** Model names as the model loader understands them (checkpoint folders for the engine). */
  models: string[];
  /** The generator's seqLen values. */
  lengths: number[];
  samplesPerLength: number;
  /** Sample i of every length is generated from `new Rng(seed + i)`. */
  seed: number;
  maxNewTokens: number;
  /** Prompts per generate() call (default 8). */
  batchSize?: number;
  /** Stop strings passed to generation. */
  stop?: string[];
}

/** A named group of experiments; models are chosen when the suite is run. */
export interface Suite {
  name: string;
  description: string;
  experiments: Omit<ExperimentConfig, 'models'>[];
  /** Analysis to run over the suite's results afterwards. */
  analysis?: 'robust-seeds';
}

/** The seed of sample `index` (the same for every length and model, as the seed framework did). */
export function sampleSeed(config: Pick<ExperimentConfig, 'seed'>, index: number): number {
  return config.seed + index;
}

/** The parser that fits a template's kind of answer. */
export function defaultParser(template: TemplateName): ParserName {
  if (template === 'variable_binding') return 'binding';
  return getTemplate(template).answerKind === 'boolean' ? 'boolean' : 'integer';
}

/** A config with the seed framework's defaults for whatever is not given. */
export function quickExperiment(
  name: string,
  template: TemplateName,
  generator: GeneratorSpec,
  overrides: Partial<Omit<ExperimentConfig, 'name' | 'template' | 'generator'>> = {},
): ExperimentConfig {
  return validateConfig({
    name,
    template,
    generator,
    parser: overrides.parser ?? defaultParser(template),
    models: overrides.models ?? [],
    lengths: overrides.lengths ?? [2, 3, 4, 5, 6],
    samplesPerLength: overrides.samplesPerLength ?? 10,
    seed: overrides.seed ?? 0,
    maxNewTokens: overrides.maxNewTokens ?? 8,
    ...(overrides.batchSize !== undefined && { batchSize: overrides.batchSize }),
    ...(overrides.stop !== undefined && { stop: overrides.stop }),
  });
}

/** A suite member: a quickExperiment whose models are chosen when the suite runs. */
export function suiteExperiment(...args: Parameters<typeof quickExperiment>): Omit<ExperimentConfig, 'models'> {
  const { models: _models, ...rest } = quickExperiment(...args);
  return rest;
}

/** Settings a caller may change for every experiment of a suite (e.g. fewer samples for a quick look). */
export type SuiteOverrides = Partial<Pick<ExperimentConfig, 'samplesPerLength' | 'lengths' | 'seed' | 'maxNewTokens' | 'batchSize'>>;

export function overrideSuite(suite: Suite, overrides: SuiteOverrides): Suite {
  const set = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return { ...suite, experiments: suite.experiments.map((e) => ({ ...e, ...set })) };
}

/** Checks a config read from anywhere (suite, CLI, config.json); errors name the field at fault. */
export function validateConfig(raw: unknown, where = 'config'): ExperimentConfig {
  if (typeof raw !== 'object' || raw === null) throw new IntrospectError('must be an object', where);
  const c = raw as Record<string, unknown>;
  const field = (k: string) => `${where}.${k}`;
  if (typeof c.name !== 'string' || !/^[\w.-]+$/.test(c.name)) {
    throw new IntrospectError('must be a non-empty name of letters, digits, "_", "-", "."', field('name'));
  }
  getTemplate(String(c.template), field('template'));
  getParser(String(c.parser), field('parser'));
  const gen = c.generator as GeneratorSpec;
  if (typeof gen !== 'object' || gen === null) throw new IntrospectError('must be { name, options? }', field('generator'));
  if (!Array.isArray(c.models) || !c.models.every((m) => typeof m === 'string' && m.length > 0)) {
    throw new IntrospectError('must be a list of model names', field('models'));
  }
  if (new Set(c.models).size !== c.models.length) throw new IntrospectError('lists a model twice', field('models'));
  if (!Array.isArray(c.lengths) || c.lengths.length === 0 || !c.lengths.every((n) => Number.isInteger(n) && n >= 1)) {
    throw new IntrospectError('must be a non-empty list of positive integers', field('lengths'));
  }
  for (const [k, min] of [['samplesPerLength', 1], ['maxNewTokens', 1], ['seed', 0]] as const) {
    if (!Number.isSafeInteger(c[k]) || (c[k] as number) < min) throw new IntrospectError(`must be an integer ≥ ${min}`, field(k));
  }
  if (c.batchSize !== undefined && (!Number.isInteger(c.batchSize) || (c.batchSize as number) < 1)) {
    throw new IntrospectError('must be a positive integer', field('batchSize'));
  }
  if (c.stop !== undefined && (!Array.isArray(c.stop) || !c.stop.every((s) => typeof s === 'string' && s.length > 0))) {
    throw new IntrospectError('must be a list of non-empty strings', field('stop'));
  }
  // Generating sample 0 of every length surfaces options that cannot work (e.g. 4 hops in 2 lines).
  const generate = resolveGenerator(gen, field('generator'));
  for (const n of c.lengths) generate(n, new Rng(sampleSeed({ seed: c.seed as number }, 0)));
  return c as unknown as ExperimentConfig;
}
