import { isRunning } from '../../domain/container';
import type { WharfEvent } from '../../domain/events';
import { appendFor, findContainer } from '../lookup';
import { releaseInBackground } from '../containers/remove-container';
import { disconnectEvents, portsOf, syncNat } from '../networks/container-network';
import { restartAfterDeath, restartWhenDue } from './restart-policy';
import { crashPoint } from '../lib/crash-point';
import { removeAnonymousVolumes, volumeUnmountEvents } from '../containers/container-volumes';
import { cgroupsPathOf } from '../containers/start-container';
import { releaseRun } from '../containers/container-release';
import { asDaemon } from '../../journal/actor';
import { phaseTrace, type PhaseTrace } from '../lib/phase-trace';

import type { EngineDeps } from '../ports';

/** What container-exited uses of the engine. */
export type ContainerExitedDeps = Pick<EngineDeps, 'journal' | 'views' | 'runtime' | 'storage' | 'images' | 'volumes' | 'containersDir' | 'hostLimits' | 'log' | 'locks' | 'network' | 'netDefaults' | 'portProxy' | 'restarts' | 'quarantine'>;
export interface ExitFacts {
  exitCode: number;
  finishedAt: string;
  reconciled?: boolean;
  error?: string;
  /** Found at boot by a daemon run with -r=false: its restart policy does not bring it back. */
  noRestart?: boolean;
}

/**
 * Record a container's death (from conmon's exit file, or found at boot), release its
 * runtime state and root mount, then apply --rm.
 */
export async function recordExit(ctx: ContainerExitedDeps, id: string, facts: ExitFacts, trace: PhaseTrace = phaseTrace(ctx.log)): Promise<void> {
  await ctx.locks.run(id, async () => {
    trace.mark('lock');
    const c = findContainer(ctx.views, id);
    if (!c || (!isRunning(c) && c.status !== 'starting')) return;
    // Read before runc deletes the cgroup.
    const oom = facts.exitCode === 137 && (await ctx.runtime.oomKilled(cgroupsPathOf(c)));
    trace.mark('oom');
    const events: WharfEvent[] = [
      ...(oom ? [{ type: 'container.oom-killed', data: { id } } as WharfEvent] : []),
      { type: 'container.died', data: { id, exitCode: facts.exitCode, finishedAt: facts.finishedAt, ...(facts.reconciled ? { reconciled: true } : {}), ...(facts.error ? { error: facts.error } : {}), ...(oom ? { oomKilled: true } : {}) } },
    ];
    events.push(...disconnectEvents(c));
    events.push(...volumeUnmountEvents(c));
    if (c.stopRequested) events.push({ type: 'container.stopped', data: { id } });
    if (c.hostConfig.AutoRemove) {
      // --rm: the process is dead, so the record goes now and the leftovers after it, in the
      // background: nothing happens between the removal's intent and its outcome, so both go
      // in the death's append (one fsync); a crash before the leftovers are gone leaves garbage
      // that boot's sweep collects (sweepOrphans: the journal says destroyed).
      events.push({ type: 'container.remove-requested', data: { id } }, { type: 'container.destroyed', data: { id } });
      await appendFor(ctx, c, events);
      trace.mark('diedAppend');
      await removeAnonymousVolumes(ctx, c); // --rm takes the anonymous volumes too, as Docker's does
      releaseInBackground(ctx, id, true);
      if (portsOf(c).length) await syncNat(ctx).catch((e: Error) => ctx.log.warn({ err: e.message }, 'NAT update failed'));
      trace.mark('release');
      trace.done('exit trace', { id: id.slice(0, 12), autoRemove: true, sinceExitMs: sinceExit(facts) });
      return;
    }
    // The policy's restart is recorded with the death (an intent the boot settles), so the
    // container shows "restarting", never "exited", between its runs, as Docker's does.
    const restart = facts.noRestart ? [] : restartAfterDeath(c, facts.exitCode, facts.finishedAt);
    await appendFor(ctx, c, [...events, ...restart]);
    trace.mark('diedAppend');
    crashPoint('exit.after-event');
    if (restart.length) crashPoint('restart.after-scheduled');
    await ctx.runtime.delete(id, true).catch((e: Error) => ctx.log.warn({ id, err: e.message }, 'runc delete failed'));
    trace.mark('runcDelete');
    await ctx.storage.unmount(id).catch((e: Error) => ctx.log.warn({ id, err: e.message }, 'unmount failed'));
    trace.mark('unmount');
    await releaseRun(ctx, c);
    if (portsOf(c).length) await syncNat(ctx).catch((e: Error) => ctx.log.warn({ err: e.message }, 'NAT update failed'));
    trace.mark('release');
    trace.done('exit trace', { id: id.slice(0, 12), sinceExitMs: sinceExit(facts) });
    if (restart.length) restartWhenDue(ctx, id);
  });
}

/** From the exit (conmon's exit file's time) to the end of its record, for the -D trace. */
function sinceExit(facts: ExitFacts): number {
  return Date.now() - Date.parse(facts.finishedAt);
}

/** conmon wrote an exit file for this container. */
export function onExitFile(ctx: ContainerExitedDeps, id: string): Promise<void> {
  return asDaemon('exit-monitor', () => exitFromFile(ctx, id));
}

async function exitFromFile(ctx: ContainerExitedDeps, id: string): Promise<void> {
  const trace = phaseTrace(ctx.log);
  const exit = await ctx.runtime.readExit(id);
  if (!exit) return;
  trace.mark('readExit');
  await recordExit(ctx, id, { exitCode: exit.exitCode, finishedAt: exit.finishedAt.toISOString() }, trace);
}
