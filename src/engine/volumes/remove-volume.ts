import { decideRemoveVolume, noSuchVolume, volumeUsers } from '../../domain/volume';


import type { EngineDeps } from '../ports';

/** What remove-volume uses of the engine. */
export type RemoveVolumeDeps = Pick<EngineDeps, 'journal' | 'views' | 'volumes' | 'locks'>;
/**
 * volume rm: refused (409) while any container, running or not, uses it. Bracketed:
 * remove-requested → directory removed → removed; boot recovery finishes a removal a crash
 * interrupted. force only forgives a missing volume, as Docker's does.
 */
export async function removeVolume(ctx: RemoveVolumeDeps, name: string, opts: { force?: boolean } = {}): Promise<void> {
  await ctx.locks.run(`volume:${name}`, async () => {
    const v = ctx.views.volumes.get(name);
    if (!v) {
      if (opts.force) return;
      throw noSuchVolume(name);
    }
    if (v.status === 'ready') await ctx.journal.append(decideRemoveVolume(v, volumeUsers(name, ctx.views.containers.values())));
    await finishVolumeRemove(ctx, name);
  });
}

/** The second half of a removal: idempotent, boot recovery calls it too. */
export async function finishVolumeRemove(ctx: RemoveVolumeDeps, name: string): Promise<void> {
  await ctx.volumes.remove(name);
  await ctx.journal.append([{ type: 'volume.removed', data: { id: name } }]);
}
