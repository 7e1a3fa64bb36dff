/** Study texts as token ids under a checkpoint's own tokenizer: sampling rows, and observed samples with their claims. */
import { IntrospectError } from '../../errors';
import type { ObservedSample } from '../../sampling/transformer';
import type { Tokenizer } from '../../tokenizer';
import type { Examples } from '../../train/trainer';
import type { StudySample } from './samples';

/** Each sample's token ids and the positions of its claim's tokens (those overlapping the claimed span). */
export function observedSamples(tokenizer: Tokenizer, samples: StudySample[]): ObservedSample[] {
  return samples.map((s, i) => {
    const tokens = tokenizer.encode(s.text);
    if (tokens.length < 2) throw new IntrospectError(`has ${tokens.length} token(s); a loss needs at least 2`, `sample ${i}`);
    const claim = s.claim ? tokens.flatMap((t, p) => (p >= 1 && t.end > s.claim![0] && t.start < s.claim![1] ? [p] : [])) : undefined;
    if (s.claim && !claim!.length) throw new IntrospectError('its claim covers no predicted token', `sample ${i}`);
    return { ids: tokens.map((t) => t.id), ...(claim ? { claim } : {}) };
  });
}

/**
 * Sampling data: each sample's loss is over its claim's tokens where it has a claim (for binding
 * programs, the answer: the loss the model was trained on), else over every token (the usual
 * language-model loss).
 */
export function samplingExamples(tokenizer: Tokenizer, samples: StudySample[]): Examples {
  const observed = observedSamples(tokenizer, samples);
  return { rows: observed.map((o) => o.ids), targets: observed.map((o) => o.claim ?? o.ids.slice(1).map((_, p) => p + 1)) };
}
