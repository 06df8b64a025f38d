// Containers and images by reference, and the journal append that names a container: what every
// operation of the engine needs first.
import type { ContainerView } from '../domain/container';
import type { Envelope } from '../domain/envelope';
import { noSuchContainer, noSuchImage, invalidArgument } from '../domain/errors';
import type { WharfEvent } from '../domain/events';
import type { EngineDeps, RefLookup } from './ports';
import type { ImageView } from '../domain/image';
import { normaliseTag } from '../domain/reference';

/** Append events about one container, with its name and image as the actor's attributes. */
export function appendFor(ctx: Pick<EngineDeps, 'journal'>, c: Pick<ContainerView, 'name' | 'image' | 'config'>, events: WharfEvent[], extra: Record<string, string> = {}): Promise<Envelope[]> {
  return ctx.journal.append(events, { name: c.name, image: c.image, labels: c.config.Labels ?? {}, ...extra });
}

/** Find a container by full id, name, or unique id prefix, as Docker does. */
export function findContainer(views: RefLookup, ref: string): ContainerView | undefined {
  if (!ref) return undefined;
  const direct = views.containers.get(ref);
  if (direct) return direct;
  const byName = views.names.get(ref.replace(/^\//, ''));
  if (byName) return views.containers.get(byName);
  if (!/^[0-9a-f]+$/.test(ref)) return undefined;
  let found: ContainerView | undefined;
  for (const [id, c] of views.containers) {
    if (id.startsWith(ref)) {
      if (found) throw invalidArgument(`multiple IDs found with provided prefix: ${ref}`);
      found = c;
    }
  }
  return found;
}

export function getContainer(views: RefLookup, ref: string): ContainerView {
  const c = findContainer(views, ref);
  if (!c) throw noSuchContainer(ref);
  return c;
}

/** Find an image by reference (name[:tag]), full id, or id prefix. */
export function findImage(views: RefLookup, ref: string): ImageView | undefined {
  const { images, tags } = views.images;
  const hex = ref.replace(/^sha256:/, '');
  if (/^[0-9a-f]{64}$/.test(hex)) return images.get(`sha256:${hex}`);
  try {
    const norm = normaliseTag(ref);
    const id = tags.get(norm);
    if (id) return images.get(id);
    // name@sha256:...: the image a pull or push recorded under that manifest (a tag beside it is ignored).
    const at = norm.indexOf('@');
    if (at > 0) {
      const repoDigest = `${norm.slice(0, at).replace(/:[^/:]+$/, '')}${norm.slice(at)}`;
      for (const img of images.values()) if (img.repoDigests?.includes(repoDigest)) return img;
    }
  } catch {
    // not a valid reference: maybe an id prefix
  }
  if (/^[0-9a-f]{1,63}$/.test(hex) && hex.length >= 1) {
    let found: ImageView | undefined;
    for (const [id, img] of images) {
      if (id.slice(7).startsWith(hex)) {
        if (found && found.id !== img.id) return undefined;
        found = img;
      }
    }
    return found;
  }
  return undefined;
}

export function getImage(views: RefLookup, ref: string): ImageView {
  const img = findImage(views, ref);
  if (!img) {
    let shown = ref;
    if (!/^(sha256:)?[0-9a-f]+$/.test(ref)) {
      try {
        shown = normaliseTag(ref);
      } catch {
        // an invalid reference is shown as typed
      }
    }
    throw noSuchImage(shown);
  }
  return img;
}
