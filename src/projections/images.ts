import type { WharfEvent } from '../domain/events';
import type { ImageState, ImageView } from '../domain/image';
import { copyImage, withoutTag, withTag } from './image-tags';

/**
 * The images projection: images by id and the tag → id map. An image record replaces the
 * entry with a new ImageView; none is changed in place (image-tags.ts keeps tagging O(1)).
 */
export function emptyImages(): ImageState {
  return { images: new Map(), tags: new Map() };
}

/**
 * Beside the tag map (not part of the views, rebuilt from it on first use when missing): per
 * image id, the refs that name it, so that `image.deleted` drops them without a scan.
 */
const refsByImage = new WeakMap<Map<string, string>, Map<string, Set<string>>>();

function refsOf(tags: Map<string, string>): Map<string, Set<string>> {
  let m = refsByImage.get(tags);
  if (!m) {
    m = new Map();
    for (const [ref, id] of tags) {
      let set = m.get(id);
      if (!set) m.set(id, (set = new Set()));
      set.add(ref);
    }
    refsByImage.set(tags, m);
  }
  return m;
}

function setTag(tags: Map<string, string>, ref: string, id: string): void {
  const refs = refsOf(tags);
  const old = tags.get(ref);
  if (old !== undefined && old !== id) refs.get(old)?.delete(ref);
  tags.set(ref, id);
  let set = refs.get(id);
  if (!set) refs.set(id, (set = new Set()));
  set.add(ref);
}

function deleteTag(tags: Map<string, string>, ref: string): void {
  const id = tags.get(ref);
  if (id === undefined) return;
  tags.delete(ref);
  const refs = refsOf(tags);
  const set = refs.get(id);
  set?.delete(ref);
  if (set?.size === 0) refs.delete(id);
}

/**
 * An image record for an id that may exist already keeps its tags. Reading `prev.tags` makes
 * the array once: O(tags of that image), only when an image with the same id is made again
 * (a second load or import of the same content), which is rare and bounded by what it did.
 */
const keptTags = (prev: ImageView | undefined) => ({ tags: prev ? [...prev.tags] : [], lastTagTime: prev?.lastTagTime ?? '' });

/** `time` is the record's time (RFC 3339): a tag's `lastTagTime`. */
export function evolveImages(s: ImageState, e: WharfEvent, time: string): ImageState {
  switch (e.type) {
    case 'image.imported': {
      const prev = s.images.get(e.data.id);
      const { source: _source, ...rest } = e.data;
      s.images.set(e.data.id, { ...rest, ...keptTags(prev) });
      return s;
    }
    case 'image.built': {
      const prev = s.images.get(e.data.id);
      s.images.set(e.data.id, { ...e.data, ...keptTags(prev) });
      return s;
    }
    case 'image.committed': {
      const prev = s.images.get(e.data.id);
      const { container: _container, ...rest } = e.data;
      s.images.set(e.data.id, { ...rest, ...keptTags(prev) });
      return s;
    }
    case 'image.loaded': {
      const prev = s.images.get(e.data.id);
      s.images.set(e.data.id, { ...e.data, ...keptTags(prev) });
      return s;
    }
    case 'image.pulled': {
      const prev = s.images.get(e.data.id);
      const { ref: _ref, repoDigest, ...rest } = e.data;
      // A pull of an image that is there adds its repo digest (as a push does).
      if (prev) s.images.set(e.data.id, copyImage(prev, { repoDigests: withDigest(prev.repoDigests, repoDigest) }));
      else s.images.set(e.data.id, { ...rest, tags: [], lastTagTime: '', repoDigests: withDigest(undefined, repoDigest) });
      return s;
    }
    case 'image.pushed': {
      const img = s.images.get(e.data.id);
      if (img) s.images.set(e.data.id, copyImage(img, { repoDigests: withDigest(img.repoDigests, e.data.repoDigest) }));
      return s;
    }
    case 'image.tagged': {
      const old = s.tags.get(e.data.ref);
      if (old && old !== e.data.id) {
        const o = s.images.get(old);
        if (o) {
          const untagged = withoutTag(o, e.data.ref);
          if (untagged !== o) s.images.set(old, untagged);
        }
      }
      setTag(s.tags, e.data.ref, e.data.id);
      const img = s.images.get(e.data.id);
      if (img) s.images.set(e.data.id, withTag(img, e.data.ref, { lastTagTime: time }));
      return s;
    }
    case 'image.untagged': {
      if (s.tags.get(e.data.ref) === e.data.id) deleteTag(s.tags, e.data.ref);
      const img = s.images.get(e.data.id);
      if (img) {
        const untagged = withoutTag(img, e.data.ref);
        if (untagged !== img) s.images.set(e.data.id, untagged);
      }
      return s;
    }
    case 'image.deleted': {
      s.images.delete(e.data.id);
      // The refs that name it, from the index: O(its tags), each dropped once (amortised O(1) per tagged).
      const refs = refsOf(s.tags);
      for (const ref of refs.get(e.data.id) ?? []) s.tags.delete(ref);
      refs.delete(e.data.id);
      return s;
    }
    default:
      return s;
  }
}

/** Add a repo digest, replacing an older one of the same repository (as Docker keeps one per repository). */
function withDigest(list: string[] | undefined, repoDigest: string): string[] {
  const repo = repoDigest.split('@')[0];
  return [...(list ?? []).filter((d) => d.split('@')[0] !== repo), repoDigest];
}
