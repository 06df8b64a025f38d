import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { ContainerView } from '../../domain/container';

import { releaseShm } from './container-namespaces';

import type { EngineDeps } from '../ports';

/** What container-release uses of the engine. */
export type ContainerReleaseDeps = Pick<EngineDeps, 'views' | 'containersDir' | 'log'>;
/**
 * What a run holds on the host beside its root mount and runc's state: a shareable /dev/shm,
 * and the cgroup parents (HostConfig.CgroupParent) Wharf made for it. Wharf makes only the
 * parents that are missing and removes only those it made (once empty): a parent the caller
 * made (the kubelet's pod cgroup) stays. A parent made for one container and used by others
 * is theirs too, so the last one to go removes it.
 */
const recordOf = (ctx: ContainerReleaseDeps, id: string): string => path.join(ctx.containersDir, id, 'cgroup-parents.json');

async function cgroupHierarchies(): Promise<string[]> {
  const mounts = await fsp.readFile('/proc/self/mounts', 'utf8');
  const dirs = mounts.split('\n').map((l) => l.split(' ')).filter((f) => (f[2] === 'cgroup' || f[2] === 'cgroup2') && f[1]?.startsWith('/sys/fs/cgroup'));
  return [...new Set(dirs.map((f) => f[1]))];
}

const readRecord = (file: string): Promise<string[]> => fsp.readFile(file, 'utf8').then((t) => JSON.parse(t) as string[], () => []);

/** Before runc create: make the missing parents of cgroupsPath in each hierarchy and record them. Returns cgroupsPath. */
export async function claimCgroupParents(ctx: ContainerReleaseDeps, c: ContainerView, cgroupsPath: string): Promise<string> {
  if (!c.hostConfig.CgroupParent) return cgroupsPath;
  const parts = path.posix.dirname(cgroupsPath).split('/').filter(Boolean);
  const components = parts.map((_, i) => `/${parts.slice(0, i + 1).join('/')}`);
  const others = [...ctx.views.containers.values()].filter((o) => o.id !== c.id && o.hostConfig.CgroupParent);
  const shared = new Set((await Promise.all(others.map((o) => readRecord(recordOf(ctx, o.id))))).flat());
  const mine: string[] = [];
  for (const h of await cgroupHierarchies()) {
    for (const comp of components) {
      const dir = path.join(h, comp);
      const made = await fsp.mkdir(dir).then(() => true, (e: NodeJS.ErrnoException) => {
        if (e.code === 'EEXIST') return false;
        throw e;
      });
      if (made || shared.has(dir)) mine.push(dir);
    }
  }
  await fsp.mkdir(path.dirname(recordOf(ctx, c.id)), { recursive: true });
  await fsp.writeFile(recordOf(ctx, c.id), JSON.stringify(mine));
  return cgroupsPath;
}

/** After runc delete (exit, failed start, removal, boot): idempotent. */
export async function releaseRun(ctx: ContainerReleaseDeps, c: { id: string } | undefined): Promise<void> {
  if (!c) return;
  await releaseShm(ctx, c.id).catch((e: Error) => ctx.log.warn({ id: c.id, err: e.message }, 'shm unmount failed'));
  const file = recordOf(ctx, c.id);
  const dirs = await readRecord(file);
  if (!dirs.length) return;
  // Deepest first; a parent still in use (another container's cgroup inside) stays for the last one out.
  for (const d of dirs.sort((a, b) => b.length - a.length)) await fsp.rmdir(d).catch(() => undefined);
  await fsp.rm(file, { force: true });
}
