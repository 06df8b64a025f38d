import { dirSize } from '../../storage/dir-size';
import { containerSize, type ContainerSize } from '../containers/container-size';


import type { EngineDeps } from '../ports';

/** What disk-usage uses of the engine. */
export type DiskUsageDeps = Pick<EngineDeps, 'views' | 'storage' | 'volumes'>;
export interface DiskUsage {
  layersSize: number;
  containers: { id: string; size: ContainerSize }[];
  /** Volume name → size of its data and the number of containers that use it. */
  volumes: { name: string; size: number; refCount: number }[];
  /** Image id → containers using it. */
  imageUsers: Map<string, number>;
  /** Image id → bytes of its layers that other images use too. */
  sharedSize: Map<string, number>;
}

/** docker system df: the bytes images, containers and volumes take, and who uses them. */
export async function diskUsage(ctx: DiskUsageDeps): Promise<DiskUsage> {
  const all = [...ctx.views.containers.values()];
  const imageUsers = new Map<string, number>();
  for (const c of all) imageUsers.set(c.imageId, (imageUsers.get(c.imageId) ?? 0) + 1);
  const layers = new Map<string, number>();
  const layerUsers = new Map<string, number>();
  const images = [...ctx.views.images.images.values()];
  for (const img of images) {
    img.layers.forEach((l, i) => {
      layers.set(l, img.layerSizes?.[i] ?? (img.layers.length === 1 ? img.size : 0));
      layerUsers.set(l, (layerUsers.get(l) ?? 0) + 1);
    });
  }
  const sharedSize = new Map(images.map((img) => [img.id, img.layers.filter((l) => (layerUsers.get(l) ?? 0) > 1).reduce((a, l) => a + (layers.get(l) ?? 0), 0)]));
  const containers = await Promise.all(all.map(async (c) => ({ id: c.id, size: await containerSize(ctx, c) })));
  const volumes = await Promise.all(
    [...ctx.views.volumes.values()].map(async (v) => ({
      name: v.name,
      size: await dirSize(ctx.volumes.dataDir(v.name)).catch(() => 0),
      refCount: all.filter((c) => (c.mounts ?? []).some((m) => m.Type === 'volume' && m.Name === v.name)).length,
    })),
  );
  return { layersSize: [...layers.values()].reduce((a, b) => a + b, 0), containers, volumes, imageUsers, sharedSize };
}
