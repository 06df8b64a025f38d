import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { isRunning, type ContainerView } from '../../domain/container';
import { conflict, internal, invalidArgument, noSuchContainer } from '../../domain/errors';
import { checkCgroupnsMode, checkIpcMode, checkModeConflicts, checkPidMode, checkUtsMode, donorOf, type ModeConflictInput } from '../../domain/namespace-modes';
import { checkSysctls } from '../../domain/sysctls';
import type { HostConfig } from '../../domain/events';
import { DEFAULT_SHM_SIZE, type Namespaces, type SpecInput } from '../../runtime/oci-spec';
import { run } from '../../runtime/exec';
import { isMountPoint } from '../../storage/overlay';
import { findContainer } from '../lookup';

import type { EngineDeps } from '../ports';

/** What container-namespaces uses of the engine. */
export type ContainerNamespacesDeps = Pick<EngineDeps, 'views' | 'containersDir'>;
/**
 * Create: the namespace modes checked (Docker's messages), donors of IPC and PID looked up
 * (a missing one is refused now, as dockerd does; a stopped one at start) and recorded by
 * full id as Docker records them; the sysctls checked against the modes.
 */
export function namespaceModesAtCreate(ctx: ContainerNamespacesDeps, req: ModeConflictInput, h: Partial<HostConfig>): Pick<HostConfig, 'IpcMode' | 'PidMode' | 'UTSMode' | 'CgroupnsMode'> & Partial<Pick<HostConfig, 'NetworkMode'>> {
  checkModeConflicts(req);
  const byId = (mode: string): string => {
    const ref = donorOf(mode);
    if (ref === undefined) return mode;
    const donor = findContainer(ctx.views, ref);
    if (!donor) throw invalidArgument(`No such container: ${ref}`);
    return `container:${donor.id}`;
  };
  const modes = {
    IpcMode: byId(checkIpcMode(h.IpcMode)),
    PidMode: byId(checkPidMode(h.PidMode)),
    UTSMode: checkUtsMode(h.UTSMode),
    CgroupnsMode: checkCgroupnsMode(h.CgroupnsMode),
    // container:<name> is recorded by the donor's id, as dockerd records all three.
    ...(donorOf(h.NetworkMode) !== undefined ? { NetworkMode: byId(h.NetworkMode as string) } : {}),
  };
  checkSysctls(h.Sysctls as Record<string, string> | null | undefined, { NetworkMode: h.NetworkMode as string | undefined, IpcMode: modes.IpcMode, UTSMode: modes.UTSMode });
  return modes;
}

/** A running donor's namespace file, or Docker's start error. */
function donorNs(ctx: ContainerNamespacesDeps, mode: string, kind: 'ipc' | 'pid' | 'net'): { donor: ContainerView; path: string } {
  const ref = donorOf(mode)!;
  const donor = findContainer(ctx.views, ref);
  if (kind === 'net') {
    if (!donor) throw noSuchContainer(ref);
    if (!isRunning(donor)) throw conflict(`cannot join network of a non running container: ${donor.id}`);
  } else if (kind === 'ipc') {
    if (!donor) throw internal(`can't join IPC of container ${ref}: No such container: ${ref}`);
    if (!isRunning(donor)) throw internal(`can't join IPC of container ${donor.id}: container ${donor.id} is not running`);
    if (!['shareable', 'host'].includes(donor.hostConfig.IpcMode as string)) {
      throw internal(`can't join IPC of container ${donor.id}: non-shareable IPC (hint: use IpcMode:shareable for the donor container)`);
    }
  } else {
    if (!donor) throw internal(`cannot join PID of a non running container: ${ref}`);
    if (!isRunning(donor)) throw internal(`container ${donor.id} is not running`);
  }
  return { donor, path: `/proc/${donor.pid}/ns/${kind}` };
}

/** The network namespace's donor (NetworkMode container:<x>), when running. */
export function networkDonorOf(ctx: ContainerNamespacesDeps, c: ContainerView): ContainerView | undefined {
  const mode = c.hostConfig.NetworkMode;
  return donorOf(mode) === undefined ? undefined : donorNs(ctx, mode, 'net').donor;
}

/** A shareable container's /dev/shm: a tmpfs on the host its IPC joiners bind too (as Docker's containers/<id>/mounts/shm). */
export const shmDirOf = (ctx: ContainerNamespacesDeps, id: string): string => path.join(ctx.containersDir, id, 'mounts', 'shm');

const shmSizeOf = (c: ContainerView): number => Number(c.hostConfig.ShmSize) || DEFAULT_SHM_SIZE;

/** Start: each namespace the container's own, the host's or a running donor's, and its /dev/shm. */
export async function namespacesAtStart(ctx: ContainerNamespacesDeps, c: ContainerView): Promise<{ namespaces: Namespaces; shm: SpecInput['shm'] }> {
  const h = c.hostConfig;
  const ns: Namespaces = {};
  const net = (h.NetworkMode as string | undefined) || 'default';
  if (net === 'host') ns.network = 'host';
  else if (donorOf(net) !== undefined) ns.network = donorNs(ctx, net, 'net').path;
  const pid = (h.PidMode as string | undefined) || '';
  if (pid === 'host') ns.pid = 'host';
  else if (donorOf(pid) !== undefined) ns.pid = donorNs(ctx, pid, 'pid').path;
  if (h.UTSMode === 'host') ns.uts = 'host';
  if (h.CgroupnsMode === 'private') ns.cgroup = 'private';
  const ipc = (h.IpcMode as string | undefined) || 'private';
  let shm: SpecInput['shm'] = { size: shmSizeOf(c) };
  if (ipc === 'host') {
    ns.ipc = 'host';
    shm = { source: '/dev/shm' };
  } else if (ipc === 'none') {
    shm = null;
  } else if (donorOf(ipc) !== undefined) {
    const d = donorNs(ctx, ipc, 'ipc');
    ns.ipc = d.path;
    shm = { source: d.donor.hostConfig.IpcMode === 'host' ? '/dev/shm' : shmDirOf(ctx, d.donor.id) };
  } else if (ipc === 'shareable') {
    shm = { source: await mountShm(ctx, c.id, shmSizeOf(c)) };
  }
  return { namespaces: ns, shm };
}

async function mountShm(ctx: ContainerNamespacesDeps, id: string, size: number): Promise<string> {
  const dir = shmDirOf(ctx, id);
  await fsp.mkdir(dir, { recursive: true });
  if (!(await isMountPoint(dir))) await run('mount', ['-t', 'tmpfs', '-o', `nosuid,nodev,noexec,mode=1777,size=${size}`, 'shm', dir]);
  return dir;
}

/** Whatever the container's run mounted on the host (a shareable /dev/shm): released when it stops or goes. Idempotent. */
export async function releaseShm(ctx: ContainerNamespacesDeps, id: string): Promise<void> {
  const dir = shmDirOf(ctx, id);
  if (!(await isMountPoint(dir))) return;
  await run('umount', [dir]).catch(() => run('umount', ['-l', dir]));
}
