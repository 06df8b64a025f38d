import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { decideRemove } from '../domain/container';
import { noSuchContainer } from '../domain/errors';
import { appendFor, findContainer, getContainer, type EngineContext } from './context';
import { waitForExit } from './wait-container';

/** rm: (kill if forced) → remove-requested → release runtime, mounts, files → destroyed. */
export async function removeContainer(ctx: EngineContext, ref: string, opts: { force?: boolean } = {}): Promise<void> {
  const c0 = getContainer(ctx.views, ref);
  if (c0.status === 'running' && opts.force) {
    decideRemove(c0, true);
    const dead = waitForExit(ctx, c0.id);
    await appendFor(ctx, c0, [{ type: 'container.kill-requested', data: { id: c0.id, signal: '9' } }]);
    await ctx.runtime.kill(c0.id, 'SIGKILL').catch(() => undefined);
    await Promise.race([dead, new Promise((r) => setTimeout(r, 10_000))]);
  }
  await ctx.locks.run(c0.id, async () => {
    const c = findContainer(ctx.views, c0.id);
    if (!c && opts.force) return; // removed meanwhile (--rm)
    if (!c) throw noSuchContainer(ref);
    if (c.status === 'running' && opts.force) {
      // Died but conmon has not reported yet: settle it here.
      await ctx.runtime.delete(c.id, true).catch(() => undefined);
    }
    await appendFor(ctx, c, decideRemove(c, !!opts.force));
    await finishRemove(ctx, c.id);
    await appendFor(ctx, c, [{ type: 'container.destroyed', data: { id: c.id } }]);
  });
}

/** Release everything a container holds on the host. Idempotent: boot recovery calls it too. */
export async function finishRemove(ctx: EngineContext, id: string): Promise<void> {
  await ctx.runtime.delete(id, true).catch(() => undefined);
  await ctx.storage.remove(id);
  await ctx.runtime.cleanup(id);
  await fsp.rm(path.join(ctx.containersDir, id), { recursive: true, force: true });
}
