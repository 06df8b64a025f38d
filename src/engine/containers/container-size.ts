import type { ContainerView } from '../../domain/container';
import { dirSize } from '../../storage/dir-size';


import type { EngineDeps } from '../ports';

/** What container-size uses of the engine. */
export type ContainerSizeDeps = Pick<EngineDeps, 'views' | 'storage'>;
export interface ContainerSize {
  /** Bytes the container wrote: its overlay upper dir. */
  sizeRw: number;
  /** Its whole filesystem: the image's layers and what it wrote. */
  sizeRootFs: number;
}

/** ps -s, inspect -s: the container's writable layer and its whole root filesystem. */
export async function containerSize(ctx: ContainerSizeDeps, c: ContainerView): Promise<ContainerSize> {
  await ctx.storage.refreshUpper(c.id);
  const sizeRw = await dirSize(ctx.storage.upperDir(c.id));
  const image = ctx.views.images.images.get(c.imageId)?.size ?? 0;
  return { sizeRw, sizeRootFs: image + sizeRw };
}
