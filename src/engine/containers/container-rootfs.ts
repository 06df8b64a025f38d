import type { FileHandle } from 'node:fs/promises';
import { isRunning, type ContainerView } from '../../domain/container';
import { conflict, invalidArgument } from '../../domain/errors';
import { isMountPoint } from '../../storage/overlay';
import { openDir } from '../../storage/scoped-fs';
import { getContainer } from '../lookup';

import type { EngineDeps } from '../ports';

/** What container-rootfs uses of the engine. */
export type ContainerRootfsDeps = Pick<EngineDeps, 'views' | 'storage' | 'images' | 'log' | 'locks'>;
/**
 * Borrow a container's merged root filesystem for an operation that reads or writes it from
 * the host (cp, export, commit, diff of a stopped container). A stopped container's root is
 * mounted for the time of the operation and unmounted after it, unless it was mounted before
 * or the container started meanwhile (start mounts the same dir; its mount is then kept).
 */
interface Lease {
  count: number;
  /** We mounted it: the last lease out unmounts it, if the container is not running by then. */
  mountedHere: boolean;
}

const leases = new WeakMap<object, Map<string, Lease>>();

function leasesOf(ctx: ContainerRootfsDeps): Map<string, Lease> {
  let m = leases.get(ctx);
  if (!m) leases.set(ctx, (m = new Map()));
  return m;
}

export interface Rootfs {
  container: ContainerView;
  /** The merged dir on the host. */
  path: string;
  /** The merged dir, pinned: resolve paths in it with scoped-fs. */
  root: FileHandle;
}

export async function withRootfs<T>(ctx: ContainerRootfsDeps, ref: string, fn: (r: Rootfs) => Promise<T>): Promise<T> {
  const { id } = getContainer(ctx.views, ref);
  const all = leasesOf(ctx);
  const merged = await ctx.locks.run(id, async () => {
    const c = getContainer(ctx.views, id);
    if (c.status === 'removing') throw conflict(`container ${id} is marked for removal`);
    const image = ctx.views.images.images.get(c.imageId);
    if (!image) throw invalidArgument(`image ${c.imageId} of container ${id} is gone`);
    const lease = all.get(id) ?? { count: 0, mountedHere: false };
    const dir = ctx.storage.mergedDir(id);
    if (!(await isMountPoint(dir))) {
      await ctx.storage.prepare(id); // a container never started has no upper dir yet
      await ctx.storage.mount(id, ctx.images.lowerDirs(image.layers));
      lease.mountedHere = true;
    }
    lease.count++;
    all.set(id, lease);
    return dir;
  });
  let root: FileHandle | undefined;
  try {
    root = await openDir(merged);
    return await fn({ container: getContainer(ctx.views, id), path: merged, root });
  } finally {
    await root?.close().catch(() => undefined);
    await ctx.locks.run(id, async () => {
      const lease = all.get(id);
      if (!lease || --lease.count > 0) return;
      all.delete(id);
      const c = ctx.views.containers.get(id);
      if (lease.mountedHere && c && !isRunning(c) && c.status !== 'starting') {
        await ctx.storage.unmount(id).catch((e: Error) => ctx.log.warn({ id, err: e.message }, 'unmount after use failed'));
      }
    });
  }
}
