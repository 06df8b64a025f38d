import { isRunning, type ContainerView } from '../../domain/container';
import { invalidArgument } from '../../domain/errors';
import { labelMatches } from '../../domain/labels';
import { parseTimestamp } from '../../domain/time';
import { dirSize } from '../../storage/dir-size';

import { removeContainer } from './remove-container';

import type { EngineDeps } from '../ports';

/** What prune-containers uses of the engine. */
export type PruneContainersDeps = Pick<EngineDeps, 'journal' | 'views' | 'runtime' | 'storage' | 'volumes' | 'containersDir' | 'log' | 'locks' | 'quarantine'>;
export interface PruneResult {
  ContainersDeleted: string[];
  SpaceReclaimed: number;
}

/** Which containers a prune's filters (until, label, label!) let through (pure). */
export function pruneFilter(filters: Record<string, string[]>, now = Date.now()): (c: ContainerView) => boolean {
  for (const k of Object.keys(filters)) {
    if (!['until', 'label', 'label!'].includes(k)) throw invalidArgument(`invalid filter '${k}'`);
  }
  let until: bigint | undefined;
  for (const u of filters.until ?? []) {
    try {
      until = parseTimestamp(u, now);
    } catch {
      throw invalidArgument(`invalid filter 'until=${u}'`);
    }
  }
  const labelMatch = (c: ContainerView, l: string) => labelMatches(c.config.Labels, l);
  return (c) => {
    if (until !== undefined && BigInt(Date.parse(c.created)) * 1_000_000n >= until) return false;
    if (!(filters.label ?? []).every((l) => labelMatch(c, l))) return false;
    if ((filters['label!'] ?? []).some((l) => labelMatch(c, l))) return false;
    return true;
  };
}

/** container prune: remove every container that is not running (created or exited) and passes the filters. */
export async function pruneContainers(ctx: PruneContainersDeps, filters: Record<string, string[]>): Promise<PruneResult> {
  const keep = pruneFilter(filters);
  const victims = [...ctx.views.containers.values()].filter((c) => !isRunning(c) && c.status !== 'starting' && c.status !== 'removing' && keep(c));
  const out: PruneResult = { ContainersDeleted: [], SpaceReclaimed: 0 };
  for (const c of victims) {
    await ctx.storage.refreshUpper(c.id).catch(() => undefined);
    const size = await dirSize(ctx.storage.upperDir(c.id));
    try {
      await removeContainer(ctx, c.id);
    } catch (e) {
      ctx.log.warn({ id: c.id, err: (e as Error).message }, 'prune: removing container failed');
      continue;
    }
    out.ContainersDeleted.push(c.id);
    out.SpaceReclaimed += size;
  }
  return out;
}
