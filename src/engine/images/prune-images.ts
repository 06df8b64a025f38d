import { promises as fsp } from 'node:fs';
import { chainIds } from '../../images/store';

import { whileNoPull } from './pull-image';
import { removeImage, type RemoveImageResult } from './remove-image';

import type { EngineDeps } from '../ports';

/** What prune-images uses of the engine. */
export type PruneImagesDeps = Pick<EngineDeps, 'journal' | 'views' | 'images'>;
/**
 * docker image prune: images no container uses, only untagged ones (dangling) unless all;
 * label / label! filters. Children go before their parents, so a committed image and the one
 * it sits on can both go.
 */
export async function pruneImages(ctx: PruneImagesDeps, filters: Record<string, string[]>): Promise<{ ImagesDeleted: RemoveImageResult | null; SpaceReclaimed: number }> {
  const danglingOnly = !(filters.dangling ?? ['true']).some((v) => v === 'false' || v === '0');
  const used = new Set([...ctx.views.containers.values()].map((c) => c.imageId));
  const labelsOk = (labels: Record<string, string> | null | undefined) =>
    (filters.label ?? []).every((l) => matchLabel(labels, l)) && !(filters['label!'] ?? []).some((l) => matchLabel(labels, l));
  const candidates = [...ctx.views.images.images.values()]
    .filter((i) => !used.has(i.id) && (!danglingOnly || i.tags.length === 0) && labelsOk(i.config.Labels))
    .sort((a, b) => (a.created < b.created ? 1 : -1));
  const deleted: RemoveImageResult = [];
  let space = 0;
  for (const img of candidates) {
    if (!ctx.views.images.images.has(img.id)) continue;
    if ([...ctx.views.images.images.values()].some((i) => i.parent === img.id)) continue; // a child still stands on it
    const r = await removeImage(ctx, img.id, true).catch(() => [] as RemoveImageResult);
    // What came back: the layers of the image that no image left uses (as Docker counts it).
    if (r.some((x) => 'Deleted' in x)) {
      const still = new Set([...ctx.views.images.images.values()].flatMap((i) => i.layers));
      img.layers.forEach((l, i) => {
        if (!still.has(l)) space += img.layerSizes?.[i] ?? (img.layers.length === 1 ? img.size : 0);
      });
    }
    deleted.push(...r);
  }
  space += (await whileNoPull(() => releasePulledLayers(ctx))) ?? 0;
  return { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: space };
}

/**
 * Layers that pulls left in the store and no image uses (a pull that failed or was cut short
 * and was not tried again): journaled as released, then their tars and chains removed.
 * Run only while no pull is under way. Returns the bytes freed (the tars).
 */
async function releasePulledLayers(ctx: PruneImagesDeps): Promise<number> {
  const used = new Set([...ctx.views.images.images.values()].flatMap((i) => chainIds(i.layers)));
  const diffOf = new Map([...ctx.views.layers.byDigest.values()].map((l) => [l.chainId, l.diffId]));
  const idle = [...ctx.views.layers.pulledChains].filter((c) => !used.has(c) && diffOf.has(c));
  if (!idle.length) return 0;
  let freed = 0;
  const usedBlobs = new Set([...ctx.views.images.images.values()].flatMap((i) => i.layers));
  for (const c of idle) {
    const diffId = diffOf.get(c)!;
    if (!usedBlobs.has(diffId)) freed += await ctx.images.layerSize(diffId).catch(() => 0);
  }
  await ctx.journal.append(idle.map((chainId) => ({ type: 'layer.released' as const, data: { id: diffOf.get(chainId)!, chainId } })));
  const images = () => [...ctx.views.images.images.values()];
  for (const c of idle) await ctx.images.removeChain(c, () => new Set(images().flatMap((i) => chainIds(i.layers))));
  await ctx.images.removeBlobs([...new Set(idle.map((c) => diffOf.get(c)!))], () => new Set(images().flatMap((i) => i.layers)));
  return freed;
}

function matchLabel(labels: Record<string, string> | null | undefined, l: string): boolean {
  const i = l.indexOf('=');
  const k = i < 0 ? l : l.slice(0, i);
  const got = labels?.[k];
  return got !== undefined && (i < 0 || got === l.slice(i + 1));
}
