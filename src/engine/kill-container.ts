import { constants } from 'node:os';
import { decideKill, decideStop, isRunning } from '../domain/container';
import { unpauseContainer } from './pause-container';
import { conflict } from '../domain/errors';
import { appendFor, getContainer, type EngineContext } from './context';
import { parseSignal } from './signals';
import { waitForExit } from './wait-container';
import { crashPoint } from './crash-point';

/** kill: record the signal, deliver it. */
export async function killContainer(ctx: EngineContext, ref: string, signal?: string): Promise<void> {
  const c = getContainer(ctx.views, ref);
  const sig = parseSignal(signal, 'SIGKILL');
  await appendFor(ctx, c, decideKill(c, ref, String(sig)));
  crashPoint('kill.after-intent');
  await ctx.runtime.kill(c.id, String(sig)).catch((e: Error) => {
    if (/not running|container not running|process already finished/.test(e.message)) {
      throw conflict(`Cannot kill container: ${ref}: container ${c.id} is not running`);
    }
    throw e;
  });
}

/** stop: the stop signal, then SIGKILL after the timeout; resolves once the container is dead. */
export async function stopContainer(ctx: EngineContext, ref: string, timeoutSec?: number, signal?: string): Promise<void> {
  let c = getContainer(ctx.views, ref);
  // A start in flight holds the container's lock: stop what it started.
  if (c.status === 'starting') {
    await ctx.locks.run(c.id, async () => undefined);
    c = getContainer(ctx.views, c.id);
  }
  if (c.status === 'restarting') {
    // Waiting out the restart back-off: the stop cancels the restart.
    ctx.restarts.cancel(c.id);
    await appendFor(ctx, c, [{ type: 'container.stop-requested', data: { id: c.id, timeout: 0 } }, { type: 'container.restart-cancelled', data: { id: c.id } }, { type: 'container.stopped', data: { id: c.id } }]);
    return;
  }
  // A frozen process cannot act on its stop signal: thaw it first, as Docker does.
  if (c.status === 'paused') {
    await unpauseContainer(ctx, c.id);
    c = getContainer(ctx.views, c.id);
  }
  const timeout = timeoutSec ?? c.config.StopTimeout ?? 10;
  const sig = parseSignal(signal || c.config.StopSignal, 'SIGTERM');
  await appendFor(ctx, c, [...decideStop(c, timeout), { type: 'container.kill-requested', data: { id: c.id, signal: String(sig) } }]);
  const dead = waitForExit(ctx, c.id);
  crashPoint('stop.after-intent');
  await ctx.runtime.kill(c.id, String(sig)).catch(() => undefined);
  if (timeout >= 0 && (await Promise.race([dead.then(() => true), sleep(timeout * 1000).then(() => false)]))) return;
  const now = ctx.views.containers.get(c.id);
  if (now && isRunning(now)) {
    await appendFor(ctx, c, [{ type: 'container.kill-requested', data: { id: c.id, signal: String(constants.signals.SIGKILL) } }]);
    await ctx.runtime.kill(c.id, 'SIGKILL').catch(() => undefined);
  }
  await dead;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
