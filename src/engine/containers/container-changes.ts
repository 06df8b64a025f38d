import { upperChanges, type Change } from '../../storage/changes';
import { getContainer } from '../lookup';

import type { EngineDeps } from '../ports';

/** What container-changes uses of the engine. */
export type ContainerChangesDeps = Pick<EngineDeps, 'views' | 'storage' | 'images'>;
/** diff: what the container changed in its filesystem, from its upper dir; no mount needed. */
export async function containerChanges(ctx: ContainerChangesDeps, ref: string): Promise<Change[]> {
  const c = getContainer(ctx.views, ref);
  const image = ctx.views.images.images.get(c.imageId);
  const lowers = image ? ctx.images.lowerDirs(image.layers) : [];
  await ctx.storage.refreshUpper(c.id);
  return upperChanges(ctx.storage.upperDir(c.id), lowers);
}
