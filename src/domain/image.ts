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

export function evolveImages(s: ImageState, e: WharfEvent, time: string): void {
  switch (e.type) {
    case 'image.imported': {
      const prev = s.images.get(e.data.id);
      const { source: _source, ...rest } = e.data;
      s.images.set(e.data.id, { ...rest, tags: prev?.tags ?? [], lastTagTime: prev?.lastTagTime ?? '' });
      return;
    }
    case 'image.built': {
      const prev = s.images.get(e.data.id);
      s.images.set(e.data.id, { ...e.data, tags: prev?.tags ?? [], lastTagTime: prev?.lastTagTime ?? '' });
      return;
    }
    case 'image.committed': {
      const prev = s.images.get(e.data.id);
      const { container: _container, ...rest } = e.data;
      s.images.set(e.data.id, { ...rest, tags: prev?.tags ?? [], lastTagTime: prev?.lastTagTime ?? '' });
      return;
    }
    case 'image.loaded': {
      const prev = s.images.get(e.data.id);
      s.images.set(e.data.id, { ...e.data, tags: prev?.tags ?? [], lastTagTime: prev?.lastTagTime ?? '' });
      return;
    }
    case 'image.pulled': {
      const prev = s.images.get(e.data.id);
      const { ref: _ref, repoDigest, ...rest } = e.data;
      s.images.set(e.data.id, {
        ...(prev ?? { ...rest, tags: [], lastTagTime: '' }),
        repoDigests: withDigest(prev?.repoDigests, repoDigest),
      });
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
        if (o) o.tags = o.tags.filter((t) => t !== e.data.ref);
      }
      s.tags.set(e.data.ref, e.data.id);
      const img = s.images.get(e.data.id);
      if (img && !img.tags.includes(e.data.ref)) img.tags = [...img.tags, e.data.ref];
      if (img) img.lastTagTime = time;
      return;
    }
    case 'image.untagged': {
      if (s.tags.get(e.data.ref) === e.data.id) s.tags.delete(e.data.ref);
      const img = s.images.get(e.data.id);
      if (img) img.tags = img.tags.filter((t) => t !== e.data.ref);
      return;
    }
    case 'image.deleted':
      s.images.delete(e.data.id);
      for (const [t, id] of s.tags) if (id === e.data.id) s.tags.delete(t);
      return;
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

export function evolveLayers(s: LayerState, e: WharfEvent): void {
  const note = (diffId: string, digest: string, size: number, repo: string) => {
    const list = s.sources.get(diffId) ?? [];
    const known = list.find((l) => l.digest === digest);
    if (known) {
      if (!known.repos.includes(repo)) known.repos.push(repo);
    } else list.push({ digest, size, repos: [repo] });
    s.sources.set(diffId, list);
  };
  if (e.type === 'layer.pulled') {
    s.byDigest.set(e.data.digest, { diffId: e.data.id, chainId: e.data.chainId, size: e.data.size });
    s.pulledChains.add(e.data.chainId);
    note(e.data.id, e.data.digest, e.data.size, e.data.repository);
  } else if (e.type === 'layer.released') {
    s.pulledChains.delete(e.data.chainId);
    for (const [digest, l] of s.byDigest) if (l.chainId === e.data.chainId) s.byDigest.delete(digest);
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
