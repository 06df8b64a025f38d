import type { WharfEvent } from '../domain/events';
import { appendFor, findContainer, type EngineContext } from './context';
import { removeContainer } from './remove-container';

export interface ExitFacts {
  exitCode: number;
  finishedAt: string;
  reconciled?: boolean;
  error?: string;
}

/**
 * Record a container's death (from conmon's exit file, or found at boot), release its
 * runtime state and root mount, then apply --rm.
 */
export async function recordExit(ctx: EngineContext, id: string, facts: ExitFacts): Promise<void> {
  const autoRemove = await ctx.locks.run(id, async () => {
    const c = findContainer(ctx.views, id);
    if (!c || (c.status !== 'running' && c.status !== 'starting')) return false;
    const events: WharfEvent[] = [
      { type: 'container.died', data: { id, exitCode: facts.exitCode, finishedAt: facts.finishedAt, ...(facts.reconciled ? { reconciled: true } : {}), ...(facts.error ? { error: facts.error } : {}) } },
    ];
    if (c.stopRequested) events.push({ type: 'container.stopped', data: { id } });
    await appendFor(ctx, c, events);
    await ctx.runtime.delete(id, true).catch((e: Error) => ctx.log.warn({ id, err: e.message }, 'runc delete failed'));
    await ctx.storage.unmount(id).catch((e: Error) => ctx.log.warn({ id, err: e.message }, 'unmount failed'));
    return c.hostConfig.AutoRemove;
  });
  if (autoRemove) await removeContainer(ctx, id, { force: true }).catch((e: Error) => ctx.log.warn({ id, err: e.message }, 'auto-remove failed'));
}

/** conmon wrote an exit file for this container. */
export async function onExitFile(ctx: EngineContext, id: string): Promise<void> {
  const exit = await ctx.runtime.readExit(id);
  if (!exit) return;
  await recordExit(ctx, id, { exitCode: exit.exitCode, finishedAt: exit.finishedAt.toISOString() });
}
