import { constants } from 'node:os';
import { decideKill, decideStop, isRunning } from '../../domain/container';
import { unpauseContainer } from './pause-container';
import { conflict, internal } from '../../domain/errors';
import { appendFor, getContainer } from '../lookup';
import { parseSignal } from './signals';
import { waitForExit } from './wait-container';
import { crashPoint } from '../lib/crash-point';

import type { EngineDeps } from '../ports';

/** What kill-container uses of the engine. */
export type KillContainerDeps = Pick<EngineDeps, 'journal' | 'views' | 'runtime' | 'log' | 'locks' | 'restarts'>;
/** How long kill with SIGKILL waits for the death, then again after killing the process directly (Docker: 2 s each). */
const KILL_WAIT_MS = 2000;

/**
 * kill: record the signal, deliver it. With SIGKILL, as Docker's does, it returns once the
 * death is recorded (so inspect says not running and rm works), bounded in time.
 */
export async function killContainer(ctx: KillContainerDeps, ref: string, signal?: string): Promise<void> {
  const c = getContainer(ctx.views, ref);
  const sig = parseSignal(signal, 'SIGKILL');
  await appendFor(ctx, c, decideKill(c, ref, String(sig)));
  crashPoint('kill.after-intent');
  const killing = sig === constants.signals.SIGKILL;
  // Listening before the signal goes, so a quick death is not missed.
  const dead = killing ? waitForExit(ctx, c.id).then(() => true) : undefined;
  await ctx.runtime.kill(c.id, String(sig)).catch((e: Error) => {
    if (/not running|container not running|process already finished/.test(e.message)) {
      throw conflict(`Cannot kill container: ${ref}: container ${c.id} is not running`);
    }
    throw e;
  });
  if (!dead) return;
  if (await within(dead, KILL_WAIT_MS)) return;
  // Last resort, as Docker: the process itself.
  const pid = ctx.views.containers.get(c.id)?.pid;
  if (pid && pid > 0) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already: its exit is on the way
    }
  }
  if (!(await within(dead, KILL_WAIT_MS))) throw internal('tried to kill container, but did not receive an exit event');
}

const within = (p: Promise<boolean>, ms: number): Promise<boolean> => {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]).finally(() => clearTimeout(timer));
};

/** stop: the stop signal, then SIGKILL after the timeout; resolves once the container is dead. */
export async function stopContainer(ctx: KillContainerDeps, ref: string, timeoutSec?: number, signal?: string): Promise<void> {
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
  // A negative timeout (stop -t -1, StopTimeout -1) waits for the exit however long it takes, as Docker's does.
  if (timeout < 0) {
    await dead;
    return;
  }
  if (await within(dead.then(() => true), timeout * 1000)) return;
  const now = ctx.views.containers.get(c.id);
  if (now && isRunning(now)) {
    await appendFor(ctx, c, [{ type: 'container.kill-requested', data: { id: c.id, signal: String(constants.signals.SIGKILL) } }]);
    await ctx.runtime.kill(c.id, 'SIGKILL').catch(() => undefined);
  }
  await dead;
}

