import { validVolumeName } from '../domain/volume';
import type { EngineContext } from './context';
import { finishVolumeRemove } from './remove-volume';

/**
 * Boot: finish removals a crash interrupted, make the directory of every volume the journal
 * knows (one lost since), and remove directories it does not know (a crash between a create's
 * directory and its volume.created). Failures are per volume: logged, never fatal.
 */
export async function recoverVolumes(ctx: EngineContext): Promise<void> {
  // One volume that cannot be settled (a directory that cannot be made) is a warning: boot goes on.
  for (const v of [...ctx.views.volumes.values()]) {
    try {
      if (v.status === 'removing') {
        ctx.log.info({ volume: v.name }, 'finishing the removal of a volume');
        await finishVolumeRemove(ctx, v.name);
      } else {
        await ctx.volumes.create(v.name);
      }
    } catch (e) {
      ctx.log.warn({ volume: v.name, err: (e as Error).message }, 'cannot settle a volume at boot; it is left as it is');
    }
  }
  for (const name of await ctx.volumes.list()) {
    if (validVolumeName(name) && !ctx.views.volumes.has(name)) {
      ctx.log.info({ volume: name }, 'removing the directory of a volume the journal does not know');
      await ctx.volumes.remove(name);
    }
  }
}
