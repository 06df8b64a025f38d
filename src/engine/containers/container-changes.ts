import { upperChanges, type Change } from '../../storage/changes';
import { getContainer, type EngineContext } from '../context';

/** diff: what the container changed in its filesystem, from its upper dir; no mount needed. */
export async function containerChanges(ctx: EngineContext, ref: string): Promise<Change[]> {
  const c = getContainer(ctx.views, ref);
  const image = ctx.views.images.images.get(c.imageId);
  const lowers = image ? ctx.images.lowerDirs(image.layers) : [];
  return upperChanges(ctx.storage.upperDir(c.id), lowers);
}
