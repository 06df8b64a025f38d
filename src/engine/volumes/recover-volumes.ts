import path from 'node:path';
import { validVolumeName } from '../../domain/volume';

import { finishVolumeRemove } from './remove-volume';
import { disposeUnknown } from '../system/dispose-unknown';
import { asDaemon } from '../../journal/actor';

import type { EngineDeps } from '../ports';

/** What recover-volumes uses of the engine. */
export type RecoverVolumesDeps = Pick<EngineDeps, 'journal' | 'views' | 'volumes' | 'log' | 'locks' | 'quarantine'>;
/**
 * Boot: finish removals a crash interrupted, make the directory of every volume the journal
 * knows (one lost since), and move directories it does not know (a crash between a create's
 * directory and its volume.created, or a journal that lost records) to the quarantine; those
 * of volumes it records as removed are deleted. Failures are per volume: logged, never fatal.
 */
export function recoverVolumes(ctx: RecoverVolumesDeps): Promise<void> {
  return asDaemon('recovery', () => settleVolumes(ctx));
}

async function settleVolumes(ctx: RecoverVolumesDeps): Promise<void> {
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
      const removed = ctx.views.removed.volumes.has(name);
      await disposeUnknown(ctx, path.join(ctx.volumes.root, name), removed, `the directory of volume ${name}`).catch((e: Error) =>
        ctx.log.warn({ volume: name, err: e.message }, 'cannot sweep a volume directory at boot; it is left as it is'),
      );
    }
  }
}
