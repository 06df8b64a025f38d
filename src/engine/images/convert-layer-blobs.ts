import { chainIds } from '../../images/store';
import type { EngineDeps } from '../ports';

/** What the conversion uses of the engine. */
export type ConvertLayerBlobsDeps = Pick<EngineDeps, 'views' | 'images' | 'log'>;

/**
 * Boot, in the background: data roots of earlier versions kept each layer's tar as a blob
 * beside its unpacked files. Each such layer gets a tar-split index, checked by rebuilding
 * the tar from the unpacked files (its digest must be the diff id); only then does the blob
 * go. A layer that cannot be checked keeps its blob and is served from it, as before. Nothing
 * is journaled: the layer, its digest and its images stay what the journal says; only the
 * way its tar is kept changes.
 */
export async function convertLayerBlobs(ctx: ConvertLayerBlobsDeps): Promise<{ converted: number; kept: number }> {
  const todo = new Map<string, string>(); // diff id → a chain topped by it
  for (const img of ctx.views.images.images.values()) {
    const chains = chainIds(img.layers);
    img.layers.forEach((d, i) => todo.has(d) || todo.set(d, chains[i]));
  }
  for (const l of ctx.views.layers.byDigest.values()) if (!todo.has(l.diffId)) todo.set(l.diffId, l.chainId);
  let converted = 0;
  let kept = 0;
  for (const [diffId, chainId] of todo) {
    if (!(await ctx.images.hasBlob(diffId))) continue;
    if (await ctx.images.convertBlob(diffId, chainId)) converted++;
    else kept++;
  }
  if (converted || kept) ctx.log.info({ converted, kept }, 'layer tars kept as blobs by an earlier version: converted to tar-split indexes (the rest are served from their blobs)');
  return { converted, kept };
}
