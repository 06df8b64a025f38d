import { promises as fsp } from 'node:fs';
import type { ContainerView } from '../../domain/container';
import { invalidArgument, isWharfError } from '../../domain/errors';
import type { ContainerConfig, HostConfig, MountPoint, WharfEvent } from '../../domain/events';
import { newId } from '../../domain/ids';
import { ANONYMOUS_LABEL } from '../../domain/volume';
import type { OciMount } from '../../runtime/host-options';
import { openDir, openDirAt, PathError, resolveInRoot, statAt } from '../../storage/scoped-fs';
import { MountSpecError, parseVolumesFrom, resolveMountPoints, type MountRequest } from '../../volumes/mount-points';
import { getContainer } from '../lookup';
import { checkVolumeRequest, createVolume } from '../volumes/create-volume';
import { removeVolume } from '../volumes/remove-volume';

import type { EngineDeps } from '../ports';

/** What container-volumes uses of the engine. */
export type ContainerVolumesDeps = Pick<EngineDeps, 'journal' | 'views' | 'volumes' | 'log' | 'locks'>;
/**
 * create: resolve a container's mounts from its options (volumes-from, binds, mounts, the
 * image's volumes) and make the volumes it needs: named ones on first use, anonymous ones
 * always. The result is recorded in container.created and answers inspect's Mounts.
 */
export async function resolveContainerMounts(ctx: ContainerVolumesDeps, config: ContainerConfig, hostConfig: HostConfig): Promise<MountPoint[]> {
  let resolved;
  try {
    const volumesFrom = ((hostConfig.VolumesFrom as string[] | null | undefined) ?? []).map((raw) => {
      const { container, mode } = parseVolumesFrom(raw);
      // A source that does not exist is a bad option of this request (400), not a missing resource.
      let c;
      try {
        c = getContainer(ctx.views, container);
      } catch (e) {
        if (isWharfError(e) && e.kind === 'not-found') throw invalidArgument(e.message);
        throw e;
      }
      return { id: c.id, mode, mounts: c.mounts ?? [] };
    });
    resolved = resolveMountPoints({
      binds: hostConfig.Binds ?? [],
      mounts: (hostConfig.Mounts as MountRequest[] | null | undefined) ?? [],
      volumesFrom,
      configVolumes: Object.keys(config.Volumes ?? {}),
      tmpfs: Object.keys((hostConfig.Tmpfs as Record<string, string> | null | undefined) ?? {}),
      volumePath: (name) => ctx.volumes.dataDir(name),
      newName: newId,
    });
  } catch (e) {
    if (e instanceof MountSpecError) throw invalidArgument(e.message);
    throw e;
  }
  // Refuse every bad volume before making any.
  for (const v of resolved.volumes) checkVolumeRequest({ name: v.name, driver: v.driver, options: v.options });
  for (const v of resolved.volumes) {
    if (!v.anonymous && ctx.views.volumes.get(v.name)?.status === 'ready') continue;
    await createVolume(ctx, {
      name: v.name,
      driver: v.driver,
      labels: v.anonymous ? { ...(v.labels ?? {}), [ANONYMOUS_LABEL]: '' } : v.labels,
      options: v.options,
    });
  }
  return resolved.mounts;
}

/** start, before its intent: a volume removed since create (it was not in use then) is made again, as a first use does. */
export async function recreateMissingVolumes(ctx: ContainerVolumesDeps, c: ContainerView): Promise<void> {
  for (const m of c.mounts ?? []) {
    if (m.Type === 'volume' && m.Name && !ctx.views.volumes.has(m.Name)) await createVolume(ctx, { name: m.Name, labels: m.Anonymous ? { [ANONYMOUS_LABEL]: '' } : null });
  }
}

/** start's intent: a volume.mounted fact per volume (Docker's "mount" events, before "start"). */
export function volumeMountEvents(c: ContainerView): WharfEvent[] {
  return (c.mounts ?? [])
    .filter((m) => m.Type === 'volume' && m.Name)
    .map((m): WharfEvent => ({ type: 'volume.mounted', data: { id: m.Name!, container: c.id, destination: m.Destination, rw: m.RW, propagation: m.Propagation } }));
}

/**
 * start: the OCI mounts of the container's volumes (and binds copied with --volumes-from;
 * its own binds and tmpfs come from host-options), each empty volume first filled with the
 * image's content at its path (Docker's copy-up).
 */
export async function prepareVolumeMounts(ctx: ContainerVolumesDeps, c: ContainerView, rootfs: string): Promise<OciMount[]> {
  const mounts: OciMount[] = [];
  for (const m of c.mounts ?? []) {
    if (m.Type === 'volume' && m.Name) {
      await ctx.volumes.create(m.Name);
      if (m.CopyData && (await ctx.volumes.isEmpty(m.Name))) await copyUp(ctx, rootfs, m.Destination, m.Name);
      mounts.push({ destination: m.Destination, type: 'bind', source: ctx.volumes.dataDir(m.Name), options: ['rbind', m.RW ? 'rw' : 'ro'] });
    } else if (m.Type === 'bind' && m.From) {
      mounts.push({ destination: m.Destination, type: 'bind', source: m.Source, options: ['rbind', m.RW ? 'rw' : 'ro'] });
    }
  }
  return mounts;
}

/** Copy the image's directory at `dest` (resolved inside the root, symlinks in scope) into the volume. */
async function copyUp(ctx: ContainerVolumesDeps, rootfs: string, dest: string, volume: string): Promise<void> {
  const root = await openDir(rootfs);
  try {
    let r;
    try {
      r = await resolveInRoot(root, dest, { followLast: true });
    } catch (e) {
      if (e instanceof PathError) return; // nothing there in the image
      throw e;
    }
    try {
      const st = await statAt(r.dir, r.name).catch(() => undefined);
      if (!st?.isDirectory()) return;
      const dir = r.name ? await openDirAt(r.dir, r.name) : r.dir;
      try {
        if ((await fsp.readdir(`/proc/self/fd/${dir.fd}`)).length === 0) return;
        await ctx.volumes.copyInto(volume, `/proc/${process.pid}/fd/${dir.fd}`);
      } finally {
        if (dir !== r.dir) await dir.close();
      }
    } finally {
      await r.release();
    }
  } finally {
    await root.close();
  }
}

/** stop/die: a volume.unmounted fact per volume the container had mounted. */
export function volumeUnmountEvents(c: ContainerView): WharfEvent[] {
  return (c.mounts ?? [])
    .filter((m) => m.Type === 'volume' && m.Name)
    .map((m): WharfEvent => ({ type: 'volume.unmounted', data: { id: m.Name!, container: c.id } }));
}

/** rm -v and --rm: the container's anonymous volumes go with it, unless another container uses one. */
export async function removeAnonymousVolumes(ctx: ContainerVolumesDeps, c: ContainerView): Promise<void> {
  for (const m of c.mounts ?? []) {
    if (m.Type !== 'volume' || !m.Anonymous || !m.Name) continue;
    await removeVolume(ctx, m.Name).catch((e: unknown) => {
      if (isWharfError(e) && (e.kind === 'conflict' || e.kind === 'not-found')) return;
      ctx.log.warn({ volume: m.Name, err: (e as Error).message }, 'removing an anonymous volume failed');
    });
  }
}
