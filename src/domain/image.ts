import type { ImageConfig, ImagePlatform, WharfEvent } from './events';

export interface ImageView {
  id: string; // sha256:...
  created: string;
  layers: string[];
  size: number;
  config: ImageConfig;
  comment: string;
  history: { created: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
  tags: string[]; // "busybox:latest"
  lastTagTime: string;
  /** Committed images: the size of each layer, bottom first (an imported image has one, of `size`). */
  layerSizes?: number[];
  parent?: string;
  author?: string;
  /** Manifests in registries that name this image: "localhost:5000/app@sha256:...". */
  repoDigests?: string[];
  /** The build whose step made it (its intermediate images are build cache). */
  build?: string;
  /** From the config of a pulled or loaded image (absent: linux/amd64). */
  platform?: ImagePlatform;
}

/** The image side of the state: images by id and the tag → id map. */
export interface ImageState {
  images: Map<string, ImageView>;
  tags: Map<string, string>;
}

/**
 * Indexes kept beside the image state so that every record folds in O(1) (amortised): they
 * are not part of the state (never serialised, absent from Views.snapshot()), and are rebuilt
 * from it on first use when missing (state restored from elsewhere).
 *
 * - per image, its tags as an insertion-ordered Set; `ImageView.tags` stays a string[] in
 *   insertion order for every reader: an accessor that makes the array again only after a
 *   change (once per change seen by a reader, never per record during a replay);
 * - per image id, the refs the tag map gives it (`image.deleted` drops them without a scan).
 */
interface OrderedTags {
  set: Set<string>;
  /** The array readers get; undefined after a change until read again. */
  array?: string[];
}
const orderedTags = new WeakMap<ImageView, OrderedTags>();
const refsByImage = new WeakMap<ImageState, Map<string, Set<string>>>();

function tagsOf(img: ImageView): OrderedTags {
  let t = orderedTags.get(img);
  if (t) return t;
  const made: OrderedTags = { set: new Set(img.tags), array: img.tags };
  // Redefining the existing key keeps its place among the keys (JSON order is unchanged).
  Object.defineProperty(img, 'tags', {
    enumerable: true,
    configurable: true,
    get: () => (made.array ??= [...made.set]),
    set: (v: string[]) => {
      made.set = new Set(v);
      made.array = v;
    },
  });
  orderedTags.set(img, made);
  t = made;
  return t;
}

function addTag(img: ImageView, ref: string): void {
  const t = tagsOf(img);
  if (t.set.has(ref)) return;
  t.set.add(ref);
  t.array = undefined;
}

function removeTag(img: ImageView, ref: string): void {
  const t = tagsOf(img);
  if (t.set.delete(ref)) t.array = undefined;
}

function refsOf(s: ImageState): Map<string, Set<string>> {
  let m = refsByImage.get(s);
  if (!m) {
    m = new Map();
    for (const [ref, id] of s.tags) {
      let set = m.get(id);
      if (!set) m.set(id, (set = new Set()));
      set.add(ref);
    }
    refsByImage.set(s, m);
  }
  return m;
}

function setTag(s: ImageState, ref: string, id: string): void {
  const refs = refsOf(s);
  const old = s.tags.get(ref);
  if (old !== undefined && old !== id) refs.get(old)?.delete(ref);
  s.tags.set(ref, id);
  let set = refs.get(id);
  if (!set) refs.set(id, (set = new Set()));
  set.add(ref);
}

function deleteTag(s: ImageState, ref: string): void {
  const id = s.tags.get(ref);
  if (id === undefined) return;
  s.tags.delete(ref);
  const refs = refsOf(s);
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

export function evolveImages(s: ImageState, e: WharfEvent, time: string): void {
  switch (e.type) {
    case 'image.imported': {
      const prev = s.images.get(e.data.id);
      const { source: _source, ...rest } = e.data;
      s.images.set(e.data.id, { ...rest, ...keptTags(prev) });
      return;
    }
    case 'image.built': {
      const prev = s.images.get(e.data.id);
      s.images.set(e.data.id, { ...e.data, ...keptTags(prev) });
      return;
    }
    case 'image.committed': {
      const prev = s.images.get(e.data.id);
      const { container: _container, ...rest } = e.data;
      s.images.set(e.data.id, { ...rest, ...keptTags(prev) });
      return;
    }
    case 'image.loaded': {
      const prev = s.images.get(e.data.id);
      s.images.set(e.data.id, { ...e.data, ...keptTags(prev) });
      return;
    }
    case 'image.pulled': {
      const prev = s.images.get(e.data.id);
      const { ref: _ref, repoDigest, ...rest } = e.data;
      // A pull of an image that is there adds its repo digest in place (as a push does).
      if (prev) prev.repoDigests = withDigest(prev.repoDigests, repoDigest);
      else s.images.set(e.data.id, { ...rest, tags: [], lastTagTime: '', repoDigests: withDigest(undefined, repoDigest) });
      return;
    }
    case 'image.pushed': {
      const img = s.images.get(e.data.id);
      if (img) img.repoDigests = withDigest(img.repoDigests, e.data.repoDigest);
      return;
    }
    case 'image.tagged': {
      const old = s.tags.get(e.data.ref);
      if (old && old !== e.data.id) {
        const o = s.images.get(old);
        if (o) removeTag(o, e.data.ref);
      }
      setTag(s, e.data.ref, e.data.id);
      const img = s.images.get(e.data.id);
      if (img) {
        addTag(img, e.data.ref);
        img.lastTagTime = time;
      }
      return;
    }
    case 'image.untagged': {
      if (s.tags.get(e.data.ref) === e.data.id) deleteTag(s, e.data.ref);
      const img = s.images.get(e.data.id);
      if (img) removeTag(img, e.data.ref);
      return;
    }
    case 'image.deleted': {
      s.images.delete(e.data.id);
      // The refs that name it, from the index: O(its tags), each dropped once (amortised O(1) per tagged).
      const refs = refsOf(s);
      for (const ref of refs.get(e.data.id) ?? []) s.tags.delete(ref);
      refs.delete(e.data.id);
      return;
    }
    default:
      return;
  }
}

/** Add a repo digest, replacing an older one of the same repository (as Docker keeps one per repository). */
function withDigest(list: string[] | undefined, repoDigest: string): string[] {
  const repo = repoDigest.split('@')[0];
  return [...(list ?? []).filter((d) => d.split('@')[0] !== repo), repoDigest];
}

/** Where a layer's compressed form is known to live: from pulls and pushes. */
export interface LayerSource {
  digest: string;
  size: number;
  /** Repositories ("localhost:5000/app") known to hold the blob. */
  repos: string[];
}

/** Registry layers: compressed digest → diff id, diff id → its compressed blobs, and the chains pulls left. */
export interface LayerState {
  byDigest: Map<string, { diffId: string; chainId: string; size: number }>;
  sources: Map<string, LayerSource[]>;
  /** Chain ids unpacked by pulls (kept at boot even before an image names them). */
  pulledChains: Set<string>;
}

export function emptyLayerState(): LayerState {
  return { byDigest: new Map(), sources: new Map(), pulledChains: new Set() };
}

/** Beside the layer state (not part of it, rebuilt from it when missing): chain id → the digests that unpack to it. */
const digestsByChain = new WeakMap<LayerState, Map<string, Set<string>>>();

function digestsOf(s: LayerState): Map<string, Set<string>> {
  let m = digestsByChain.get(s);
  if (!m) {
    m = new Map();
    for (const [digest, l] of s.byDigest) {
      let set = m.get(l.chainId);
      if (!set) m.set(l.chainId, (set = new Set()));
      set.add(digest);
    }
    digestsByChain.set(s, m);
  }
  return m;
}

export function evolveLayers(s: LayerState, e: WharfEvent): void {
  // The compressed forms of one diff id, and the repositories of one form, are a handful
  // (one per registry format and repository): these scans do not grow with history.
  const note = (diffId: string, digest: string, size: number, repo: string) => {
    const list = s.sources.get(diffId) ?? [];
    const known = list.find((l) => l.digest === digest);
    if (known) {
      if (!known.repos.includes(repo)) known.repos.push(repo);
    } else list.push({ digest, size, repos: [repo] });
    s.sources.set(diffId, list);
  };
  if (e.type === 'layer.pulled') {
    const chains = digestsOf(s);
    const before = s.byDigest.get(e.data.digest);
    if (before && before.chainId !== e.data.chainId) chains.get(before.chainId)?.delete(e.data.digest);
    s.byDigest.set(e.data.digest, { diffId: e.data.id, chainId: e.data.chainId, size: e.data.size });
    let set = chains.get(e.data.chainId);
    if (!set) chains.set(e.data.chainId, (set = new Set()));
    set.add(e.data.digest);
    s.pulledChains.add(e.data.chainId);
    note(e.data.id, e.data.digest, e.data.size, e.data.repository);
  } else if (e.type === 'layer.released') {
    s.pulledChains.delete(e.data.chainId);
    const chains = digestsOf(s);
    for (const digest of chains.get(e.data.chainId) ?? []) s.byDigest.delete(digest);
    chains.delete(e.data.chainId);
  } else if (e.type === 'image.pushed') {
    const repo = e.data.repoDigest.split('@')[0];
    for (const l of e.data.layers) note(l.diffId, l.digest, l.size, repo);
  }
}

/** The platform fields of an image config, for an image fact. */
export function platformOf(c: { os?: string; architecture?: string; variant?: string }): { platform?: ImagePlatform } {
  if (!c.architecture) return {};
  return { platform: { os: c.os || 'linux', architecture: c.architecture, ...(c.variant ? { variant: c.variant } : {}) } };
}
