import { decideRestartPolicy, shouldStartAtBoot, type ContainerView } from '../../domain/container';
import type { WharfEvent } from '../../domain/events';
import { appendFor } from '../lookup';
import { startContainer } from '../containers/start-container';
import { crashPoint } from '../lib/crash-point';
import { asDaemon } from '../../journal/actor';


import type { EngineDeps } from '../ports';

/** What restart-policy uses of the engine. */
export type RestartPolicyDeps = Pick<EngineDeps, 'journal' | 'views' | 'runtime' | 'storage' | 'images' | 'volumes' | 'containersDir' | 'hostLimits' | 'log' | 'locks' | 'network' | 'netDefaults' | 'portProxy' | 'restarts' | 'quarantine'>;
/**
 * After a death (or a failed policy start): if the restart policy wants the container back,
 * record that it is restarting and start it after the back-off.
 */
export async function applyRestartPolicy(ctx: RestartPolicyDeps, id: string, exitCode: number): Promise<void> {
  const c = ctx.views.containers.get(id);
  if (!c) return;
  const events = decideRestartPolicy(c, exitCode);
  if (!events.length) return;
  await appendFor(ctx, c, events);
  crashPoint('restart.after-scheduled');
  scheduleRestart(ctx, id, ctx.views.containers.get(id)?.restartDelayMs ?? 100);
}

/**
 * What a death means for the restart policy, decided with the death itself so that the two are
 * recorded together: the container goes from running to restarting with no "exited" between.
 */
export function restartAfterDeath(c: ContainerView, exitCode: number, finishedAt: string): WharfEvent[] {
  return decideRestartPolicy({ ...c, finishedAt }, exitCode);
}

/** The restart recorded with a death: start it after its back-off. */
export function restartWhenDue(ctx: RestartPolicyDeps, id: string): void {
  const c = ctx.views.containers.get(id);
  if (c?.status === 'restarting') scheduleRestart(ctx, id, c.restartDelayMs || 100);
}

function scheduleRestart(ctx: RestartPolicyDeps, id: string, delayMs: number): void {
  ctx.restarts.set(id, delayMs, () => {
    // Started or removed by a user in the meantime: nothing to do; stopped: stays down.
    const c = ctx.views.containers.get(id);
    if (c?.status !== 'restarting') return;
    if (c.manuallyStopped) {
      void appendFor(ctx, c, [{ type: 'container.restart-cancelled', data: { id } }]).catch(() => undefined);
      return;
    }
    startContainer(ctx, id, { restart: true }).catch((err: Error) => {
      ctx.log.warn({ id: id.slice(0, 12), err: err.message }, 'restart by policy failed');
      const c = ctx.views.containers.get(id);
      if (c) void applyRestartPolicy(ctx, id, c.exitCode || 1).catch(() => undefined);
    });
  });
}

/** Boot: bring back what the restart policies say should run (in the background). */
export function startByPolicyAtBoot(ctx: RestartPolicyDeps): void {
  asDaemon('restart-policy', () => startAtBoot(ctx));
}

/**
 * Boot of a daemon run with -r=false (a process manager starts the containers, with start -a):
 * nothing starts by policy, and a restart a crash left pending is cancelled, so the container shows exited.
 */
export function cancelRestartsAtBoot(ctx: RestartPolicyDeps): void {
  asDaemon('restart-policy', () => {
    for (const c of [...ctx.views.containers.values()]) {
      if (c.status !== 'restarting') continue;
      void appendFor(ctx, c, [{ type: 'container.restart-cancelled', data: { id: c.id } }]).catch((e: Error) => ctx.log.warn({ id: c.id.slice(0, 12), err: e.message }, 'cannot cancel a pending restart'));
    }
  });
}

function startAtBoot(ctx: RestartPolicyDeps): void {
  for (const c of ctx.views.containers.values()) {
    if (!shouldStartAtBoot(c)) continue;
    ctx.log.info({ id: c.id.slice(0, 12), policy: c.hostConfig.RestartPolicy?.Name }, 'starting by restart policy');
    // A death recorded just before a crash may have left its runc state behind (the restart is
    // recorded with the death, before the clean-up): clear it, or runc refuses to create the container again.
    const leftovers = ctx.runtime.delete(c.id, true).catch(() => undefined);
    if (c.status === 'restarting') void leftovers.then(() => scheduleRestart(ctx, c.id, 0));
    else void leftovers.then(() => startContainer(ctx, c.id)).catch((err: Error) => ctx.log.warn({ id: c.id.slice(0, 12), err: err.message }, 'start at boot failed'));
  }
}
