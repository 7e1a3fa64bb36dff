/** A checkpoint folder's parameters as a flat vector, with its spec and layout (shapes checked). */
import { join } from 'node:path';
import { canonicalWeights, specFromConfig } from '../arch/families';
import { loadCheckpointFolder } from '../checkpoint/folder';
import { ParameterLayout } from './parameters';

export interface LoadedParameters {
  layout: ParameterLayout;
  flat: Float32Array;
  config: Record<string, unknown>;
}

export async function loadParameters(dir: string): Promise<LoadedParameters> {
  const { config, weights } = await loadCheckpointFolder(dir);
  const { family, spec } = specFromConfig(config, join(dir, 'config.json'));
  canonicalWeights(family, spec, weights, dir); // validates names and shapes
  const layout = new ParameterLayout(family, spec);
  return { layout, flat: layout.flatten(weights), config };
}
