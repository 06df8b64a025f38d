import { isRunning } from '../../domain/container';
import { decideUpdate, type UpdateRequest } from '../../domain/container-update';
import { internal, invalidArgument } from '../../domain/errors';
import type { HostConfigUpdate } from '../../domain/events';
import { hostOptions } from '../../runtime/host-options';
import { runcUpdate } from '../../runtime/runc-update';
import { appendFor, getContainer } from '../lookup';
import { crashPoint } from '../lib/crash-point';

import type { EngineDeps } from '../ports';

/** What update-container uses of the engine. */
export type UpdateContainerDeps = Pick<EngineDeps, 'journal' | 'views' | 'runtime' | 'hostLimits' | 'locks'>;
/**
 * update: check the new limits on the merged HostConfig, apply them to a running container
 * (runc update), then record them; the next start uses them too.
 */
export async function updateContainer(ctx: UpdateContainerDeps, ref: string, req: UpdateRequest): Promise<string[]> {
  const { id } = getContainer(ctx.views, ref);
  return ctx.locks.run(id, async () => {
    const c = getContainer(ctx.views, id);
    const events = decideUpdate(c, req);
    const { id: _id, ...changes } = events[0].data as { id: string } & HostConfigUpdate;
    const merged = { ...c.hostConfig, ...changes };
    let resources: Record<string, unknown>;
    try {
      resources = hostOptions(merged, ctx.hostLimits, { createBindSources: false }).resources;
    } catch (e) {
      throw invalidArgument((e as Error).message);
    }
    if (isRunning(c)) {
      const live: Record<string, unknown> = {};
      if (resources.memory) live.memory = resources.memory;
      if (resources.cpu) live.cpu = resources.cpu;
      // 0 / -1 mean unlimited: runc writes "max" for -1.
      if (typeof changes.PidsLimit === 'number') live.pids = { limit: changes.PidsLimit > 0 ? changes.PidsLimit : -1 };
      if (Object.keys(live).length) {
        try {
          await runcUpdate(ctx.runtime, id, live);
          crashPoint('update.after-runc');
        } catch (e) {
          throw internal(`Cannot update container ${id}: ${(e as Error).message}`);
        }
      }
    }
    await appendFor(ctx, c, events);
    return [];
  });
}
