import type { ImageConfig } from '../domain/events';
import type { ImageView } from '../domain/image';

/**
 * The classic builder's step cache, derived from the images the journal knows (so it
 * survives a restart and is freed with them): a step is reused when an image exists whose
 * parent is the current image, whose last history entry records the same command (the
 * created_by text: instruction after substitution, build args in scope, content checksums of
 * copied files) and whose config and author are those the step would give.
 */
export interface StepKey {
  parent?: ImageView;
  createdBy: string;
  config: ImageConfig;
  author: string;
  /** Whether the step makes a layer (RUN, COPY, ADD) or only metadata. */
  layer: boolean;
}

export function findCachedStep(images: Iterable<ImageView>, key: StepKey): ImageView | undefined {
  const parentLayers = key.parent?.layers ?? [];
  const depth = key.parent?.history.length ?? 0;
  const want = canonical(key.config);
  let best: ImageView | undefined;
  for (const img of images) {
    if (img.parent !== key.parent?.id) continue;
    if (img.history.length !== depth + 1 || img.history[depth].created_by !== key.createdBy) continue;
    if (img.layers.length !== parentLayers.length + (key.layer ? 1 : 0)) continue;
    if (parentLayers.some((l, i) => img.layers[i] !== l)) continue;
    if ((img.author ?? '') !== key.author || canonical(img.config) !== want) continue;
    // The newest of equal candidates, so a rebuild follows the latest build.
    if (!best || img.created > best.created) best = img;
  }
  return best;
}

/** A config as text with its keys sorted and empty values dropped, for equality. */
export function canonical(v: unknown): string {
  return JSON.stringify(normalise(v));
}

function normalise(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalise);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = normalise((v as Record<string, unknown>)[k]);
      if (x === undefined || x === null || x === '' || (Array.isArray(x) && !x.length && k !== 'Cmd' && k !== 'Entrypoint')) continue;
      if (typeof x === 'object' && !Array.isArray(x) && !Object.keys(x as object).length && k !== '') {
        // An empty map (Labels {}, Volumes {}) is the same as none; a port or volume entry's {} is kept by its key.
        if (['Labels', 'Volumes', 'ExposedPorts', 'OnBuild'].includes(k)) continue;
      }
      out[k] = x;
    }
    return out;
  }
  return v;
}
