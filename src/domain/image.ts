import type { ImageConfig, WharfEvent } from './events';

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
