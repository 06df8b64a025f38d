import { validVolumeName } from '../domain/volume';
import type { EngineContext } from './context';
import { finishVolumeRemove } from './remove-volume';

/**
 * Boot: finish removals a crash interrupted, make the directory of every volume the journal
 * knows (a crash right after volume.created), and remove directories it does not know.
 */
export async function recoverVolumes(ctx: EngineContext): Promise<void> {
  for (const v of [...ctx.views.volumes.values()]) {
    if (v.status === 'removing') {
      ctx.log.info({ volume: v.name }, 'finishing the removal of a volume');
      await finishVolumeRemove(ctx, v.name);
    } else {
      await ctx.volumes.create(v.name);
    }
  }
  for (const name of await ctx.volumes.list()) {
    if (validVolumeName(name) && !ctx.views.volumes.has(name)) {
      ctx.log.info({ volume: name }, 'removing the directory of a volume the journal does not know');
      await ctx.volumes.remove(name);
    }
  }
}
