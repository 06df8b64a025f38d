import type { ImageConfig, ImagePlatform } from './events';

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

/** The platform fields of an image config, for an image fact. */
export function platformOf(c: { os?: string; architecture?: string; variant?: string }): { platform?: ImagePlatform } {
  if (!c.architecture) return {};
  return { platform: { os: c.os || 'linux', architecture: c.architecture, ...(c.variant ? { variant: c.variant } : {}) } };
}
