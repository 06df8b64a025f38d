import type { WharfEvent } from '../domain/events';
import type { ImageView } from '../domain/image';
import { chainIds } from '../domain/layer-chain';

/**
 * What the journal positively records as removed (destroyed containers; blobs and chains of
 * deleted images and released layers; removed volumes): the only files a boot sweep deletes.
 * Anything else it does not know goes to the quarantine.
 */
export interface RemovedView {
  containers: Set<string>;
  blobs: Set<string>;
  chains: Set<string>;
  volumes: Set<string>;
}

export function emptyRemoved(): RemovedView {
  return { containers: new Set(), blobs: new Set(), chains: new Set(), volumes: new Set() };
}

/** `images` is the images view before this record (a deleted image's layers go with it). */
export function evolveRemoved(removed: RemovedView, e: WharfEvent, images: ReadonlyMap<string, ImageView>): RemovedView {
  if (e.type === 'container.destroyed') removed.containers.add(e.data.id);
  else if (e.type === 'volume.removed') removed.volumes.add(e.data.id);
  else if (e.type === 'layer.released') {
    removed.chains.add(e.data.chainId);
    removed.blobs.add(e.data.id);
  } else if (e.type === 'image.deleted') {
    const img = images.get(e.data.id);
    removed.blobs.add(e.data.id);
    if (img) {
      for (const l of img.layers) removed.blobs.add(l);
      for (const c of chainIds(img.layers)) removed.chains.add(c);
    }
  }
  return removed;
}
