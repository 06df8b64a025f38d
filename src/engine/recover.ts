import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { isRunning } from '../domain/container';
import { nowRfc3339 } from '../domain/time';
import { planRecovery, type RecoveryAction } from '../runtime/recovery';
import { isAlive } from '../runtime/runc-conmon';
import { appendFor, type EngineContext } from './context';
import { recordExit } from './container-exited';
import { finishRemove, sweepOrphans } from './remove-container';

/**
 * Boot: settle every container the journal left mid-flight, from what conmon, runc and the
 * disk say. Containers that kept running while the daemon was away are simply adopted.
 */
export async function recoverContainers(ctx: EngineContext): Promise<RecoveryAction[]> {
  const actions: RecoveryAction[] = [];
  for (const c of [...ctx.views.containers.values()]) {
    if (!isRunning(c) && c.status !== 'starting' && c.status !== 'removing') continue;
    const exit = await ctx.runtime.readExit(c.id);
    const conmonPid = c.conmonPid || Number(await fsp.readFile(path.join(ctx.runtime.bundleDir(c.id), 'conmon.pid'), 'utf8').catch(() => '0'));
    const state = await ctx.runtime.state(c.id);
    const action = planRecovery(
      {
        id: c.id,
        status: c.status === 'paused' ? 'running' : c.status === 'restarting' ? 'exited' : c.status,
        exitFile: exit && { exitCode: exit.exitCode, finishedAt: exit.finishedAt.toISOString() },
        conmonAlive: isAlive(conmonPid),
        runcStatus: state?.status,
      },
      nowRfc3339(),
    );
    actions.push(action);
    ctx.log.info({ id: c.id.slice(0, 12), action: action.kind }, 'recovering container');
    switch (action.kind) {
      case 'reattach':
        if (c.status === 'starting') {
          if (state?.status === 'created') await ctx.runtime.resume(c.id);
          await appendFor(ctx, c, [{ type: 'container.started', data: { id: c.id, pid: state?.pid ?? 0, conmonPid, startedAt: nowRfc3339() } }]);
        }
        break;
      case 'record-exit':
        await recordExit(ctx, c.id, {
          exitCode: action.exitCode,
          finishedAt: action.finishedAt,
          reconciled: true,
          ...(action.unknown ? { error: 'container monitor exited while the daemon was down; exit status unknown' } : {}),
        });
        break;
      case 'fail-start':
        await appendFor(ctx, c, [{ type: 'container.start-failed', data: { id: c.id, error: 'daemon stopped while the container was starting', exitCode: 128 } }]);
        await ctx.runtime.delete(c.id, true).catch(() => undefined);
        await ctx.storage.unmount(c.id).catch(() => undefined);
        break;
      case 'finish-remove':
        await finishRemove(ctx, c.id);
        await appendFor(ctx, c, [{ type: 'container.destroyed', data: { id: c.id } }]);
        break;
      default:
        break;
    }
  }
  const swept = await sweepOrphans(ctx);
  if (swept) ctx.log.info({ count: swept }, 'removed files of containers already destroyed');
  return actions;
}

/**
 * conmon is the only witness of a container's exit. If it dies (killed), the exit code is
 * lost: record the death as unknown rather than showing a ghost as running forever.
 */
export function watchMonitors(ctx: EngineContext, everyMs = 2000): () => void {
  const timer = setInterval(() => {
    for (const c of ctx.views.containers.values()) {
      if (!isRunning(c) || !c.conmonPid || isAlive(c.conmonPid)) continue;
      void (async () => {
        const state = await ctx.runtime.state(c.id);
        if (state?.status === 'running' || state?.status === 'paused') return;
        const exit = await ctx.runtime.readExit(c.id);
        await recordExit(ctx, c.id, exit
          ? { exitCode: exit.exitCode, finishedAt: exit.finishedAt.toISOString() }
          : { exitCode: 255, finishedAt: nowRfc3339(), error: 'container monitor (conmon) died; exit status unknown' });
      })().catch((e: Error) => ctx.log.warn({ id: c.id, err: e.message }, 'monitor check failed'));
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
