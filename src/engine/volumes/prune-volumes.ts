import { pruneFilter, volumeUsers } from '../../domain/volume';

import { removeVolume } from './remove-volume';

import type { EngineDeps } from '../ports';

/** What prune-volumes uses of the engine. */
export type PruneVolumesDeps = Pick<EngineDeps, 'journal' | 'views' | 'volumes' | 'log' | 'locks'>;
export interface VolumePruneResult {
  VolumesDeleted: string[];
  SpaceReclaimed: number;
}

/** volume prune: unused volumes (only anonymous ones unless all=true) that pass the filters. */
export async function pruneVolumes(ctx: PruneVolumesDeps, filters: Record<string, string[]>): Promise<VolumePruneResult> {
  const keep = pruneFilter(filters);
  const out: VolumePruneResult = { VolumesDeleted: [], SpaceReclaimed: 0 };
  for (const v of [...ctx.views.volumes.values()]) {
    if (v.status !== 'ready' || !keep(v) || volumeUsers(v.name, ctx.views.containers.values()).length) continue;
    const size = await ctx.volumes.size(v.name);
    try {
      await removeVolume(ctx, v.name);
    } catch (e) {
      ctx.log.warn({ volume: v.name, err: (e as Error).message }, 'prune: removing volume failed');
      continue;
    }
    out.VolumesDeleted.push(v.name);
    out.SpaceReclaimed += size;
  }
  return out;
}
