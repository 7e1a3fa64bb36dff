/** The task library's public surface: generators, prompts, parsers, the runner and analysis. */
export * from './analysis';
export * from './binding';
export * from './config';
export * from './divergence';
export * from './engineTextModel';
export * from './generators';
export * from './heuristicModel';
export * from './interpreter';
export * from './modelLoader';
export * from './oracle';
export * from './parsers';
export * from './prompts';
export * from './results';
export * from './rng';
export * from './runner';
export * from './textModel';
export * from './types';
