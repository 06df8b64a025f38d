import { filter, firstValueFrom, map, mergeMap, from, defaultIfEmpty } from 'rxjs';
import { isRunning } from '../../domain/container';
import { invalidArgument } from '../../domain/errors';
import { getContainer } from '../lookup';

import type { EngineDeps } from '../ports';

/** What wait-container uses of the engine. */
export type WaitContainerDeps = Pick<EngineDeps, 'journal' | 'views'>;
export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

/** Resolves with the exit code of the next death of this container (or now, if not running). */
export function waitForExit(ctx: WaitContainerDeps, id: string): Promise<number> {
  const c = ctx.views.containers.get(id);
  if (!c || (!isRunning(c) && c.status !== 'starting')) return Promise.resolve(c?.exitCode ?? 0);
  return nextDeath(ctx, id);
}

function nextDeath(ctx: WaitContainerDeps, id: string): Promise<number> {
  return firstValueFrom(
    ctx.journal.committed$.pipe(
      mergeMap((batch) => from(batch)),
      filter((e) => e.data.id === id && (e.type === 'container.died' || e.type === 'container.destroyed')),
      map((e) => (e.type === 'container.died' ? e.data.exitCode : ctx.views.containers.get(id)?.exitCode ?? 0)),
      defaultIfEmpty(0),
    ),
  );
}

/**
 * Docker's wait. Registers its interest at once (so the caller can send the response
 * headers before starting the container) and returns the promise of the status code.
 */
export function waitContainer(ctx: WaitContainerDeps, ref: string, condition: string = 'not-running'): Promise<number> {
  if (!['not-running', 'next-exit', 'removed', ''].includes(condition)) {
    throw invalidArgument(`invalid condition: "${condition}"`);
  }
  const c = getContainer(ctx.views, ref);
  const id = c.id;
  if (condition === 'removed') {
    let lastExit = c.exitCode;
    return firstValueFrom(
      ctx.journal.committed$.pipe(
        mergeMap((batch) => from(batch)),
        filter((e) => e.data.id === id),
        filter((e) => {
          if (e.type === 'container.died') lastExit = e.data.exitCode;
          return e.type === 'container.destroyed';
        }),
        map(() => lastExit),
        defaultIfEmpty(lastExit),
      ),
    );
  }
  if (condition === 'next-exit') return nextDeath(ctx, id);
  return waitForExit(ctx, id);
}
