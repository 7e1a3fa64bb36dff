/** Training the engine's own graphs: the public surface. */
export { train, evaluate, LOG_FILE, type Examples, type StartingPoint, type TrainData, type TrainOptions, type TrainRecord } from './trainer';
export { AdamW, clipGradNorm, gradNorm, type AdamWOptions, type AdamWState } from './adamw';
export { learningRate, type ScheduleOptions } from './schedule';
export { saveCheckpoint, writeModelFolder, checkpointSteps, loadResumable, stepDir, type ModelFolder, type TrainerState } from './checkpoint';
export { initialModel } from './initialModel';
export { plotTrainingCurves, LOSS_PLOT, ACCURACY_PLOT } from './curves';
