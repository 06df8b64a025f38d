import { isRunning } from '../../domain/container';
import { decideRemoveImage } from '../../domain/image-decisions';
import { chainIds } from '../../images/store';
import { getImage } from '../lookup';
import { crashPoint } from '../lib/crash-point';

import type { EngineDeps } from '../ports';

/** What remove-image uses of the engine. */
export type RemoveImageDeps = Pick<EngineDeps, 'journal' | 'views' | 'images'>;
export type RemoveImageResult = ({ Untagged: string } | { Deleted: string })[];

/** rmi: untag the reference; delete the image when no tag and no container is left on it. */
export async function removeImage(ctx: RemoveImageDeps, ref: string, force = false, noPrune = false): Promise<RemoveImageResult> {
  const img = getImage(ctx.views, ref);
  const users = [...ctx.views.containers.values()].map((c) => ({ id: c.id, imageId: c.imageId, running: isRunning(c) }));
  const events = decideRemoveImage(ctx.views.images, users, img, { ref, force, noPrune });
  // One batch: a crash never leaves the image untagged but not deleted.
  await ctx.journal.appendAll(events.map((e) => ({ events: [e], meta: { name: e.type === 'image.untagged' ? e.data.ref : img.id } })));
  crashPoint('rmi.after-events');
  const gone = events.filter((e) => e.type === 'image.deleted').map((e) => e.data.id);
  if (gone.length) {
    // Layers are shared by chain (a committed image sits on its parent's): remove only the
    // chains no remaining image uses.
    // A save or push reading them keeps them until it is over; then they go if still unused.
    // (Chain ids and digests apart: a base layer's chain id is its diff id, which another image
    // may use higher up, on another chain.)
    const images = () => [...ctx.views.images.images.values()];
    await ctx.images.removeLayers(img.layers, () => new Set(images().flatMap((i) => chainIds(i.layers)))).catch(() => undefined);
    await ctx.images.removeBlobs([...gone, ...img.layers], () => new Set(images().flatMap((i) => [i.id, ...i.layers]))).catch(() => undefined);
  }
  // The repo digests go with the image, listed as Docker lists them: after the tags.
  return events.flatMap((e) =>
    e.type === 'image.untagged' ? [{ Untagged: e.data.ref }] : [...(e.data.id === img.id ? img.repoDigests ?? [] : []).map((d) => ({ Untagged: d })), { Deleted: e.data.id }],
  );
}
