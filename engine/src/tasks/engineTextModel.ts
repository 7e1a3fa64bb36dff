/** The engine's checkpoint models as TextModels for the benchmark runner. */
import { LoadedModel, type LoadOptions } from '../model';
import { generate } from '../predict';
import type { GenerateOptions, ModelLoader, TextModel } from './textModel';

export class EngineTextModel implements TextModel {
  constructor(
    readonly name: string,
    readonly model: LoadedModel,
  ) {}

  generate(prompts: string[], opts: GenerateOptions): Promise<string[]> {
    return generate(this.model, prompts, opts);
  }

  dispose(): Promise<void> {
    return this.model.dispose();
  }
}

/** Loads model names as checkpoint folders. */
export function engineModelLoader(opts: LoadOptions = {}): ModelLoader {
  return async (dir) => new EngineTextModel(dir, await LoadedModel.load(dir, opts));
}
