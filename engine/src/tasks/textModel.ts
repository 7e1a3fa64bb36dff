/**
 * What the benchmark runner needs from a model: batched greedy text generation. The engine's
 * LoadedModel is adapted to it in engineTextModel.ts; the oracle (oracle.ts) implements it too.
 */
export interface GenerateOptions {
  maxNewTokens: number;
  /** Generation of a prompt stops once its continuation contains one of these strings. */
  stop?: string[];
  /** Cancels generation between tokens. */
  signal?: AbortSignal;
}

export interface TextModel {
  readonly name: string;
  /** One continuation per prompt (the prompt itself not included). */
  generate(prompts: string[], opts: GenerateOptions): Promise<string[]>;
  dispose(): Promise<void>;
}

export type ModelLoader = (name: string) => Promise<TextModel>;

/**
 * Models loaded once and kept until unloaded, so several experiments reuse them. Concurrent
 * requests for the same model share one load.
 */
export class ModelPool {
  private readonly models = new Map<string, Promise<TextModel>>();

  constructor(private readonly loader: ModelLoader) {}

  get(name: string): Promise<TextModel> {
    let m = this.models.get(name);
    if (!m) {
      m = this.loader(name);
      this.models.set(name, m);
      // A failed load is not cached: the next request tries again.
      m.catch(() => this.models.delete(name));
    }
    return m;
  }

  async preload(names: readonly string[]): Promise<void> {
    for (const n of names) await this.get(n);
  }

  /** Names of the models loaded or loading, in load order. */
  list(): string[] {
    return [...this.models.keys()];
  }

  async unload(name: string): Promise<boolean> {
    const m = this.models.get(name);
    if (!m) return false;
    this.models.delete(name);
    await (await m).dispose();
    return true;
  }

  async unloadAll(): Promise<void> {
    for (const name of this.list()) await this.unload(name);
  }
}
