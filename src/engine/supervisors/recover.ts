import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { isRunning, type ContainerView } from '../../domain/container';
import { nowRfc3339 } from '../../domain/time';
import { hostOptions } from '../../runtime/host-options';
import { limitsDrifted, parseCgroupLimit, planRecovery, type RecoveryAction } from '../../runtime/recovery';
import { runcUpdate } from '../../runtime/runc-update';
import { isAlive } from '../../runtime/runc-conmon';
import { chainIds } from '../../images/store';
import { appendFor } from '../lookup';
import { recordExit } from './container-exited';
import { disconnectEvents } from '../networks/container-network';
import { volumeUnmountEvents } from '../containers/container-volumes';
import { disposeUnknown } from '../system/dispose-unknown';
import { finishRemove, removeContainer, sweepOrphans } from '../containers/remove-container';
import { cgroupsPathOf } from '../containers/start-container';
import { releaseRun } from '../containers/container-release';
import { asDaemon } from '../../journal/actor';

import type { EngineDeps } from '../ports';

/** What recover uses of the engine. */
export type RecoverDeps = Pick<EngineDeps, 'journal' | 'views' | 'runtime' | 'storage' | 'images' | 'volumes' | 'containersDir' | 'hostLimits' | 'log' | 'locks' | 'network' | 'netDefaults' | 'portProxy' | 'restarts' | 'quarantine'>;
/**
 * Boot: settle every container the journal left mid-flight, from what conmon, runc and the
 * disk say. Containers that kept running while the daemon was away are simply adopted.
 */
export function recoverContainers(ctx: RecoverDeps, o: RecoverOptions = {}): Promise<RecoveryAction[]> {
  return asDaemon('recovery', () => recover(ctx, o));
}

/** restart false (wharfd -r=false): deaths found at boot are recorded, never followed by a policy's restart. */
export interface RecoverOptions {
  restart?: boolean;
}

async function recover(ctx: RecoverDeps, o: RecoverOptions): Promise<RecoveryAction[]> {
  const actions: RecoveryAction[] = [];
  await settleInFlightStarts(ctx, [...ctx.views.containers.values()].filter((c) => c.status === 'starting').map((c) => c.id));
  for (const c of [...ctx.views.containers.values()]) {
    if (!isRunning(c) && c.status !== 'starting' && c.status !== 'removing') continue;
    // One container that cannot be settled is a warning: boot goes on with the others.
    await settleContainer(ctx, c, actions, o).catch((e: Error) =>
      ctx.log.warn({ id: c.id.slice(0, 12), err: e.message }, 'cannot settle a container at boot; it is left as the journal says'),
    );
    // A start is never left half-way (it would show as created and refuse a start as "already started").
    if (ctx.views.containers.get(c.id)?.status === 'starting') await abandonStart(ctx, c.id);
  }
  await releaseStopped(ctx);
  // rm -f cut between its kill and its remove-requested: finished, as the client asked.
  for (const c of [...ctx.views.containers.values()]) {
    if (!c.removeRequested || c.status === 'removing') continue;
    ctx.log.info({ id: c.id.slice(0, 12) }, 'finishing a forced removal cut after its kill');
    await removeContainer(ctx, c.id, { force: true, volumes: c.removeRequested.volumes }).catch((e: Error) => ctx.log.warn({ id: c.id, err: e.message }, 'cannot finish the removal'));
  }
  const swept = await sweepOrphans(ctx);
  if (swept) ctx.log.info({ count: swept }, 'removed files of containers already destroyed');
  return actions;
}

/** One container the journal left running, starting or removing: planned from what the host shows, then settled. */
async function settleContainer(ctx: RecoverDeps, c: ContainerView, actions: RecoveryAction[], o: RecoverOptions = {}): Promise<void> {
  const exit = await ctx.runtime.readExit(c.id);
  const conmonPid = c.conmonPid || Number(await fsp.readFile(path.join(ctx.runtime.bundleDir(c.id), 'conmon.pid'), 'utf8').catch(() => '0'));
  const state = await ctx.runtime.state(c.id);
  const action = planRecovery(
    {
      id: c.id,
      status: c.status === 'restarting' ? 'exited' : c.status,
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
      // A start cut after its `runc start` ran the process: it happened.
      if (c.status === 'starting') {
        await appendFor(ctx, c, [{ type: 'container.started', data: { id: c.id, pid: state?.pid ?? 0, conmonPid, startedAt: nowRfc3339() } }]);
      }
      if (action.record) await appendFor(ctx, c, [{ type: `container.${action.record}`, data: { id: c.id } }]);
      // Frozen by a commit the crash cut short (no user paused it): thawed, as the commit would have.
      if (c.status === 'paused' && c.pausedForCommit && !action.record) {
        await ctx.runtime.unpause(c.id);
        await appendFor(ctx, c, [{ type: 'container.unpaused', data: { id: c.id } }]);
      }
      await reapplyLimits(ctx, c.id);
      break;
    case 'record-exit':
      // It ran (conmon wrote its exit) before the crash cut its start short: history says start, then die.
      if (c.status === 'starting' && !action.unknown) await appendFor(ctx, c, [{ type: 'container.started', data: { id: c.id, pid: 0, conmonPid, startedAt: action.finishedAt } }]);
      await recordExit(ctx, c.id, {
        exitCode: action.exitCode,
        finishedAt: action.finishedAt,
        reconciled: true,
        ...(o.restart === false ? { noRestart: true } : {}),
        ...(action.unknown ? { error: 'container monitor exited while the daemon was down; exit status unknown' } : {}),
      });
      break;
    case 'fail-start':
      await abandonStart(ctx, c.id);
      break;
    case 'finish-remove':
      await finishRemove(ctx, c.id);
      await appendFor(ctx, c, [{ type: 'container.destroyed', data: { id: c.id } }]);
      break;
    default:
      break;
  }
}

/** A start the crash cut short and boot cannot finish: recorded as failed, whatever runc made of it removed. */
async function abandonStart(ctx: RecoverDeps, id: string): Promise<void> {
  const c = ctx.views.containers.get(id);
  if (!c) return;
  await appendFor(ctx, c, [{ type: 'container.start-failed', data: { id, error: 'daemon stopped while the container was starting', exitCode: 128 } }, ...disconnectEvents(c), ...volumeUnmountEvents(c)]);
  await ctx.runtime.abandon(id).catch(() => undefined);
  await ctx.storage.unmount(id).catch(() => undefined);
  await releaseRun(ctx, c);
}

/**
 * A container the journal says is not running holds nothing on the host. A crash between its
 * died (or start-failed) and the release after it leaves runc's state (the next start would
 * fail: "container with given ID already exists") and its root mount: released here.
 */
async function releaseStopped(ctx: RecoverDeps): Promise<void> {
  const mounts = new Set((await fsp.readFile('/proc/self/mounts', 'utf8')).split('\n').map((l) => l.split(' ')[1]));
  const runcState = new Set(await fsp.readdir(ctx.runtime.paths.runcRoot).catch(() => [] as string[]));
  for (const c of ctx.views.containers.values()) {
    if (isRunning(c) || c.status === 'starting' || c.status === 'removing') continue;
    const mounted = mounts.has(ctx.storage.mergedDir(c.id));
    if (!mounted && !runcState.has(c.id)) continue;
    ctx.log.info({ id: c.id.slice(0, 12), status: c.status, mounted, runcState: runcState.has(c.id) }, 'releasing what a stopped container still held');
    if (runcState.has(c.id)) await ctx.runtime.abandon(c.id).catch((e: Error) => ctx.log.warn({ id: c.id, err: e.message }, 'runc delete failed'));
    if (mounted) await ctx.storage.unmount(c.id).catch((e: Error) => ctx.log.warn({ id: c.id, err: e.message }, 'unmount failed'));
  }
  // A shareable /dev/shm or made cgroup parents of a container that stopped while the daemon was away.
  for (const c of ctx.views.containers.values()) {
    if (isRunning(c) || c.status === 'starting' || c.status === 'removing') continue;
    if (c.hostConfig.IpcMode === 'shareable' || c.hostConfig.CgroupParent) await releaseRun(ctx, c);
  }
}

/**
 * Starts cut by the crash may still be going on: conmon (which dies once it finds the daemon
 * gone) and its `runc create` (which may finish after conmon died). Wait, bounded, until no
 * `runc create` runs, a live conmon has its container, and what they show has held for a
 * moment, so the plan is made from facts that no longer move (else a container that runc
 * creates just after is left behind). All of them at once: one scan of /proc per look.
 */
async function settleInFlightStarts(ctx: RecoverDeps, ids: string[], timeoutMs = 10_000): Promise<void> {
  if (!ids.length) return;
  const deadline = Date.now() + timeoutMs;
  let last = '';
  let moving: string[] = [];
  while (Date.now() < deadline) {
    const procs = await ctx.runtime.processesOf(ids);
    const states = await Promise.all(ids.map((id) => ctx.runtime.state(id)));
    moving = ids.filter((id, i) => procs.get(id)!.some((p) => !p.conmon) || (procs.get(id)!.some((p) => p.conmon) && !states[i]));
    const facts = ids.map((id, i) => `${procs.get(id)!.map((p) => `${p.pid}:${p.conmon}`).join(',')} ${states[i]?.status}`).join(' ');
    if (!moving.length && facts === last) return;
    last = facts;
    await new Promise((r) => setTimeout(r, 100));
  }
  ctx.log.warn({ ids: moving.map((id) => id.slice(0, 12)) }, 'a start cut by the crash is still going on');
}

/**
 * A crash between `runc update` and container.updated leaves the cgroup with limits the
 * journal does not know: apply the recorded ones again (the user's update can be retried).
 */
async function reapplyLimits(ctx: RecoverDeps, id: string): Promise<void> {
  const c = ctx.views.containers.get(id);
  if (!c) return;
  const read = (controller: string, file: string) =>
    fsp.readFile(path.join('/sys/fs/cgroup', controller, cgroupsPathOf(c), file), 'utf8').then(parseCgroupLimit, () => undefined);
  const recordedPids = typeof c.hostConfig.PidsLimit === 'number' && c.hostConfig.PidsLimit > 0 ? c.hostConfig.PidsLimit : undefined;
  const recordedMemory = typeof c.hostConfig.Memory === 'number' && c.hostConfig.Memory > 0 ? c.hostConfig.Memory : undefined;
  const facts = { memory: { recorded: recordedMemory, actual: await read('memory', 'memory.limit_in_bytes') }, pids: { recorded: recordedPids, actual: await read('pids', 'pids.max') } };
  if (!limitsDrifted(facts)) return;
  const resources = hostOptions(c.hostConfig, ctx.hostLimits, { createBindSources: false }).resources;
  const live = { memory: resources.memory ?? { limit: -1, swap: -1 }, ...(resources.cpu ? { cpu: resources.cpu } : {}), pids: { limit: recordedPids ?? -1 } };
  ctx.log.info({ id: id.slice(0, 12), facts }, 'applying the recorded limits again');
  await runcUpdate(ctx.runtime, id, live).catch((e: Error) => ctx.log.warn({ id, err: e.message }, 'cannot apply the recorded limits'));
}

/**
 * conmon is the only witness of a container's exit. If it dies (killed), the exit code is
 * lost: record the death as unknown rather than showing a ghost as running forever.
 */
export function watchMonitors(ctx: RecoverDeps, everyMs = 2000): () => void {
  const timer = setInterval(() => asDaemon('exit-monitor', () => {
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
  }), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Boot: blobs and unpacked layers no image uses are what a crashed import, commit or rmi left
 * (written before its event, or not yet removed after it). Those of deleted images and
 * released layers are removed; anything the journal never mentioned goes to the quarantine.
 */
export async function sweepImageFiles(ctx: RecoverDeps): Promise<number> {
  const images = [...ctx.views.images.images.values()];
  // Layers a pull fetched stay even before an image names them: an interrupted pull resumes from them.
  const pulled = [...ctx.views.layers.byDigest.values()];
  const blobs = new Set([...images.flatMap((i) => [i.id, ...i.layers]), ...pulled.map((l) => l.diffId)]);
  const chains = new Set([...images.flatMap((i) => chainIds(i.layers)), ...ctx.views.layers.pulledChains]);
  const removed = ctx.views.removed;
  return ctx.images.sweep(blobs, chains, async (abs, kind, digest) => {
    const gone = kind === 'blob' ? removed.blobs.has(digest) : removed.chains.has(digest);
    await disposeUnknown(ctx, abs, gone, `an image ${kind} (${digest}) no image or pull in the journal uses`);
  });
}
