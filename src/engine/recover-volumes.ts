import path from 'node:path';
import { validVolumeName } from '../domain/volume';
import type { EngineContext } from './context';
import { finishVolumeRemove } from './remove-volume';
import { disposeUnknown } from './dispose-unknown';

/**
 * Boot: finish removals a crash interrupted, make the directory of every volume the journal
 * knows (a crash right after volume.created), and move directories it does not know to the
 * quarantine (those of volumes it records as removed are deleted).
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
      if (ctx.views.removed.volumes.has(name)) await ctx.volumes.remove(name);
      else await disposeUnknown(ctx, path.join(ctx.volumes.root, name), false, `the directory of volume ${name}`);
    }
  }
}
