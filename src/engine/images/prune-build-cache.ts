
import { removeImage } from './remove-image';

import type { EngineDeps } from '../ports';

/** What prune-build-cache uses of the engine. */
export type PruneBuildCacheDeps = Pick<EngineDeps, 'journal' | 'views' | 'images'>;
/**
 * docker builder prune: what only the build cache holds. The classic builder's cache is its
 * step images; those no tag, no container and no tagged image stands on go, children first
 * (each removal takes its untagged parents along).
 */
export async function pruneBuildCache(ctx: PruneBuildCacheDeps): Promise<{ CachesDeleted: string[] | null; SpaceReclaimed: number }> {
  const all = ctx.views.images.images;
  const used = new Set([...ctx.views.containers.values()].map((c) => c.imageId));
  const kept = new Set<string>();
  for (const img of all.values()) {
    if (!img.tags.length && !used.has(img.id)) continue;
    for (let p: string | undefined = img.id; p && !kept.has(p); p = all.get(p)?.parent) kept.add(p);
  }
  const cache = [...all.values()].filter((i) => i.build && !kept.has(i.id)).sort((a, b) => (a.created < b.created ? 1 : -1));
  const deleted: string[] = [];
  let space = 0;
  for (const img of cache) {
    if (!all.has(img.id) || [...all.values()].some((i) => i.parent === img.id)) continue;
    const r = await removeImage(ctx, img.id, true).catch(() => []);
    for (const x of r) {
      if (!('Deleted' in x)) continue;
      deleted.push(x.Deleted);
      const gone = cache.find((c) => c.id === x.Deleted);
      const hadLayer = gone && gone.history.length && !gone.history[gone.history.length - 1].empty_layer;
      if (gone && hadLayer) space += gone.layerSizes?.[gone.layerSizes.length - 1] ?? 0;
    }
  }
  return { CachesDeleted: deleted.length ? deleted : null, SpaceReclaimed: space };
}
