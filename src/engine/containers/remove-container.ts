import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { disposeUnknown } from '../system/dispose-unknown';
import { decideRemove, isRunning } from '../../domain/container';
import { unpauseContainer } from './pause-container';
import { noSuchContainer } from '../../domain/errors';
import { appendFor, findContainer, getContainer } from '../lookup';
import { waitForExit } from './wait-container';
import { crashPoint } from '../lib/crash-point';
import { removeAnonymousVolumes } from './container-volumes';
import { releaseRun } from './container-release';
import { UNCLAIMED } from './next-container';

import type { EngineDeps } from '../ports';

/** What remove-container uses of the engine. */
export type RemoveContainerDeps = Pick<EngineDeps, 'journal' | 'views' | 'runtime' | 'storage' | 'volumes' | 'containersDir' | 'log' | 'locks' | 'quarantine' | 'nextContainer'>;
/** rm: (kill if forced) → remove-requested → release runtime, mounts, files → destroyed. */
export async function removeContainer(ctx: RemoveContainerDeps, ref: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
  const c0 = getContainer(ctx.views, ref);
  if (isRunning(c0) && opts.force) {
    if (c0.status === 'paused') await unpauseContainer(ctx, c0.id);
    decideRemove(c0, true);
    const dead = waitForExit(ctx, c0.id);
    // Marked as a removal's: a crash before remove-requested leaves a removal boot finishes, not a killed container.
    await appendFor(ctx, c0, [{ type: 'container.kill-requested', data: { id: c0.id, signal: '9', remove: true, ...(opts.volumes ? { removeVolumes: true } : {}) } }]);
    crashPoint('remove.after-kill-intent');
    await ctx.runtime.kill(c0.id, 'SIGKILL').catch(() => undefined);
    crashPoint('remove.after-kill');
    await Promise.race([dead, new Promise((r) => setTimeout(r, 10_000))]);
  }
  await ctx.locks.run(c0.id, async () => {
    const c = findContainer(ctx.views, c0.id);
    if (!c && opts.force) return; // removed meanwhile (--rm)
    if (!c) throw noSuchContainer(ref);
    // A container that ran until now may still have runc state (died, exit not yet reported).
    const mayHaveRuntimeState = isRunning(c) || c.status === 'starting';
    await appendFor(ctx, c, decideRemove(c, !!opts.force));
    crashPoint('remove.after-intent');
    if (mayHaveRuntimeState) await finishRemove(ctx, c.id, true);
    crashPoint('remove.after-release');
    await appendFor(ctx, c, [{ type: 'container.destroyed', data: { id: c.id } }]);
    if (opts.volumes) await removeAnonymousVolumes(ctx, c);
    releaseInBackground(ctx, c.id, false);
  });
}

/**
 * What is left of a destroyed container whose process is dead (runc's state, the root mount,
 * files) is garbage: collected off the hot path. A crash meanwhile leaves only what
 * sweepOrphans() collects at the next boot.
 */
export function releaseInBackground(ctx: RemoveContainerDeps, id: string, runtimeState: boolean): void {
  void finishRemove(ctx, id, runtimeState)
    .then(() => removeFiles(ctx, id))
    .catch((e: Error) => ctx.log.warn({ id, err: e.message }, 'releasing container resources failed'));
}

/**
 * Release what a container holds on the host (runtime state, root mount). Idempotent: boot
 * recovery calls it too. Its files go after the destroyed event, off the hot path; a crash in
 * between leaves only garbage that sweepOrphans() collects at boot.
 */
export async function finishRemove(ctx: RemoveContainerDeps, id: string, runtimeState = true): Promise<void> {
  if (runtimeState) await ctx.runtime.delete(id, true).catch(() => undefined);
  await ctx.storage.unmount(id);
  await releaseRun(ctx, { id });
}

async function removeFiles(ctx: RemoveContainerDeps, id: string): Promise<void> {
  await Promise.all([
    ctx.storage.remove(id),
    ctx.runtime.cleanup(id),
    fsp.rm(path.join(ctx.containersDir, id), { recursive: true, force: true }),
  ]).catch((e: Error) => ctx.log.warn({ id, err: e.message }, 'removing container files failed'));
}

/**
 * Boot: remove the files of containers the journal says are destroyed. Those of containers it
 * never recorded (a crash before container.created, or a journal that lost records) keep their
 * files: their root filesystem and logs go to the quarantine, their runtime state is removed.
 */
export async function sweepOrphans(ctx: RemoveContainerDeps): Promise<number> {
  const dirs = await Promise.all(
    [ctx.storage.root, ctx.containersDir, ctx.runtime.paths.bundles, ctx.runtime.paths.runcRoot].map((d) => fsp.readdir(d).catch(() => [] as string[])),
  );
  // (Not the id chosen ahead for the next create, when this runs after a journal reopen.)
  const ahead = ctx.nextContainer?.ahead();
  const orphans = new Set(dirs.flat().filter((id) => /^[0-9a-f]{64}$/.test(id) && !ctx.views.containers.has(id) && id !== ahead));
  for (const id of orphans) {
    await ctx.runtime.delete(id, true).catch(() => undefined);
    await releaseRun(ctx, { id });
    if (ctx.views.removed.containers.has(id)) {
      await removeFiles(ctx, id);
      continue;
    }
    await ctx.storage.unmount(id).catch(() => undefined);
    if (await chosenAheadOnly(path.join(ctx.containersDir, id))) {
      // An id chosen ahead for a create that never came (NextContainer): nothing of a container's.
      await fsp.rm(path.join(ctx.containersDir, id), { recursive: true, force: true });
    }
    for (const dir of [path.join(ctx.storage.root, id), path.join(ctx.containersDir, id)]) {
      if (await fsp.access(dir).then(() => true, () => false)) {
        await disposeUnknown(ctx, dir, false, `the files of container ${id}`).catch((e: Error) => ctx.log.warn({ id, err: e.message }, 'cannot quarantine container files'));
      }
    }
    await ctx.runtime.cleanup(id).catch(() => undefined);
  }
  await ctx.storage.sweepLinks();
  return orphans.size;
}

/**
 * A directory made for an id chosen ahead (see NextContainer) and holding nothing else: its
 * mark, and a log conmon opened and nothing wrote to.
 */
async function chosenAheadOnly(dir: string): Promise<boolean> {
  const entries = await fsp.readdir(dir).catch(() => [] as string[]);
  if (!entries.includes(UNCLAIMED) || entries.some((e) => e !== UNCLAIMED && e !== 'container.log')) return false;
  return (await fsp.stat(path.join(dir, 'container.log')).catch(() => ({ size: 0 }))).size === 0;
}
