import { isRunning } from '../../domain/container';
import { conflict } from '../../domain/errors';
import type { WharfEvent } from '../../domain/events';
import type { ImageView } from '../../domain/image';
import { normaliseTag } from '../../domain/reference';
import { shortId } from '../../domain/ids';
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
  let byTag: string | undefined;
  try {
    const t = normaliseTag(ref);
    if (ctx.views.images.tags.get(t) === img.id) byTag = t;
  } catch {
    // an id, not a reference
  }
  const users = [...ctx.views.containers.values()].filter((c) => c.imageId === img.id);
  const running = users.find(isRunning);
  const events: WharfEvent[] = [];
  const hasChildren = [...ctx.views.images.images.values()].some((i) => i.parent === img.id);
  if (hasChildren && !byTag) throw conflict(`conflict: unable to delete ${shortId(img.id)} (cannot be forced) - image has dependent child images`);
  if (byTag && (img.tags.length > 1 || hasChildren)) {
    // Another tag, or a child image (a commit on top of it), keeps the image: only the name goes.
    events.push({ type: 'image.untagged', data: { id: img.id, ref: byTag } });
  } else {
    if (!byTag && img.tags.length > 1 && !force) {
      throw conflict(`conflict: unable to delete ${shortId(img.id)} (must be forced) - image is referenced in multiple repositories`);
    }
    if (running) {
      throw conflict(
        byTag && !force
          ? `conflict: unable to remove repository reference "${ref}" (must force) - container ${shortId(running.id)} is using its referenced image ${shortId(img.id)}`
          : `conflict: unable to delete ${shortId(img.id)} (cannot be forced) - image is being used by running container ${shortId(running.id)}`,
      );
    }
    if (users.length && !force) {
      throw conflict(
        byTag
          ? `conflict: unable to remove repository reference "${ref}" (must force) - container ${shortId(users[0].id)} is using its referenced image ${shortId(img.id)}`
          : `conflict: unable to delete ${shortId(img.id)} (must be forced) - image is being used by stopped container ${shortId(users[0].id)}`,
      );
    }
    for (const t of img.tags) events.push({ type: 'image.untagged', data: { id: img.id, ref: t } });
    // A forced removal under a stopped container leaves it dangling: its layers are still in use.
    if (!users.length) {
      events.push({ type: 'image.deleted', data: { id: img.id } });
      if (!noPrune) events.push(...untaggedParents(ctx, img).map((id) => ({ type: 'image.deleted' as const, data: { id } })));
    }
  }
  // One batch: a crash never leaves the image untagged but not deleted.
  await ctx.journal.appendAll(events.map((e) => ({ events: [e], meta: { name: e.type === 'image.untagged' ? e.data.ref : img.id } })));
  crashPoint('rmi.after-events');
  const gone = events.filter((e) => e.type === 'image.deleted').map((e) => e.data.id);
  if (gone.length) {
    // Layers are shared by chain (a committed image sits on its parent's): remove only the
    // chains no remaining image uses.
    const stillUsed = new Set([...ctx.views.images.images.values()].flatMap((i) => chainIds(i.layers)));
    await ctx.images.removeLayers(img.layers, stillUsed).catch(() => undefined);
    const blobsUsed = new Set([...ctx.views.images.images.values()].flatMap((i) => [i.id, ...i.layers]));
    await ctx.images.removeBlobs([...gone, ...img.layers], blobsUsed).catch(() => undefined);
  }
  // The repo digests go with the image, listed as Docker lists them: after the tags.
  return events.flatMap((e) =>
    e.type === 'image.untagged' ? [{ Untagged: e.data.ref }] : [...(e.data.id === img.id ? img.repoDigests ?? [] : []).map((d) => ({ Untagged: d })), { Deleted: e.data.id }],
  );
}

/**
 * The untagged ancestors that go with a deleted image, as Docker prunes them (the
 * intermediate images of a build): up the parent line while an image has no tag, no
 * container and no other child.
 */
function untaggedParents(ctx: RemoveImageDeps, img: ImageView): string[] {
  const all = ctx.views.images.images;
  const used = new Set([...ctx.views.containers.values()].map((c) => c.imageId));
  const out: string[] = [];
  let child = img;
  for (let p = img.parent ? all.get(img.parent) : undefined; p; p = p.parent ? all.get(p.parent) : undefined) {
    const parentId = p.id;
    if (p.tags.length || used.has(parentId)) break;
    if ([...all.values()].some((i) => i.parent === parentId && i.id !== child.id)) break;
    out.push(parentId);
    child = p;
  }
  return out;
}
