/** Reverse-mode autodiff over the engine's ONNX graphs: the public surface. */
export { gradients, type GradientOptions } from './gradients';
export { perRowCrossEntropy, nextTokenTargets, weightedLogitsMetric, LOSS_OUTPUT, METRIC_WEIGHTS_INPUT, PER_ROW_LOSS_OUTPUT } from './loss';
export { ParameterLayout, gatherInto, scatterAdd, type ParamSlot } from './parameters';
export { buildLossGraph, gradOutput, type LossGraph, type LossGraphOptions, type WeightInput } from './lossGraph';
export { LossRunner, type LossAndGradients } from './runner';
export { makeBatch, type TokenBatch, type BatchOptions } from './batch';
export { loadParameters, type LoadedParameters } from './load';
export { headGradient, projectionWeight, type Projection } from './heads';
