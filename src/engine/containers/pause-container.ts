import { decidePause, decideUnpause } from '../../domain/container';
import { appendFor, getContainer } from '../lookup';
import { crashPoint } from '../lib/crash-point';

import type { EngineDeps } from '../ports';

/** What pause-container uses of the engine. */
export type PauseContainerDeps = Pick<EngineDeps, 'journal' | 'views' | 'runtime' | 'log' | 'locks'>;
/**
 * pause/unpause: freeze or thaw every process of the container (cgroup freezer, via runc).
 * A commit's pause is recorded before the freeze (marked as the commit's), so a crash while
 * the commit reads leaves a fact that boot settles by thawing it, not a user's pause.
 */
export async function pauseContainer(ctx: PauseContainerDeps, ref: string, o: { forCommit?: boolean } = {}): Promise<void> {
  const { id } = getContainer(ctx.views, ref);
  await ctx.locks.run(id, async () => {
    const c = getContainer(ctx.views, id);
    const events = decidePause(c, o.forCommit);
    if (o.forCommit) {
      await appendFor(ctx, c, events);
      await ctx.runtime.pause(id).catch(async (e: Error) => {
        await appendFor(ctx, c, [{ type: 'container.unpaused', data: { id } }]);
        throw e;
      });
      return;
    }
    await ctx.runtime.pause(id);
    crashPoint('pause.after-runc');
    // A journal that refuses the fact: the container goes back to what the journal says.
    await appendFor(ctx, c, events).catch(async (e: unknown) => {
      await ctx.runtime.unpause(id).catch((err: Error) => ctx.log.warn({ id, err: err.message }, 'cannot undo a pause the journal refused'));
      throw e;
    });
  });
}

export async function unpauseContainer(ctx: PauseContainerDeps, ref: string): Promise<void> {
  const { id } = getContainer(ctx.views, ref);
  await ctx.locks.run(id, async () => {
    const c = getContainer(ctx.views, id);
    const events = decideUnpause(c);
    await ctx.runtime.unpause(id);
    crashPoint('unpause.after-runc');
    // A journal that refuses the fact: the container goes back to what the journal says.
    await appendFor(ctx, c, events).catch(async (e: unknown) => {
      await ctx.runtime.pause(id).catch((err: Error) => ctx.log.warn({ id, err: err.message }, 'cannot undo a unpause the journal refused'));
      throw e;
    });
  });
}
