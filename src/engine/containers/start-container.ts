import { mkdirSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { decideStart, isRunning, type ContainerView } from '../../domain/container';
import type { HostConfig, MountPoint } from '../../domain/events';
import { invalidArgument, WharfError } from '../../domain/errors';
import { attachNetwork, disconnectEvents, IPAM_LOCK, portsOf, reserveNetwork, syncNat, writeNetworkFiles, type NetworkReservation } from '../networks/container-network';
import type { NetworkAttachment } from '../../domain/events';
import { checkLinks, checkLinkTargets, linkEnv, normalizeLinks } from './container-links';
import { nowRfc3339 } from '../../domain/time';
import { hostOptions } from '../../runtime/host-options';
import { DEFAULT_NET_SYSCTLS } from '../../domain/container-defaults';
import { buildSpec } from '../../runtime/oci-spec';
import { StartError, type MonitorOptions, type PendingStart } from '../../runtime/runc-conmon';
import { resolveUser } from '../../runtime/user';
import { appendFor, getContainer } from '../lookup';
import { prepareVolumeMounts, recreateMissingVolumes, resolveContainerMounts, volumeMountEvents, volumeUnmountEvents } from './container-volumes';
import { removeContainer } from './remove-container';
import { crashPoint } from '../lib/crash-point';
import { namespacesAtStart } from './container-namespaces';
import { claimCgroupParents, releaseRun } from './container-release';
import { resolveGroupAdd } from '../../runtime/user';
import { conmonLogCap, logPath, logPolicyOfContainer, prepareLog } from './log-rotation';
import { phaseTrace, type PhaseTrace } from '../lib/phase-trace';
import { accountsOf } from './image-accounts';

import type { EngineDeps } from '../ports';

/** What start-container uses of the engine. */
export type StartContainerDeps = Pick<EngineDeps, 'journal' | 'views' | 'runtime' | 'storage' | 'images' | 'volumes' | 'containersDir' | 'hostLimits' | 'log' | 'locks' | 'network' | 'netDefaults' | 'portProxy' | 'restarts' | 'quarantine'>;
/** The container's cgroup: under HostConfig.CgroupParent (absolute in each hierarchy, as dockerd's cgroupfs driver), else /wharf. */
export const cgroupsPathOf = (c: Pick<ContainerView, 'id' | 'hostConfig'>): string =>
  c.hostConfig.CgroupParent ? path.posix.join('/', String(c.hostConfig.CgroupParent), c.id) : `/wharf/${c.id}`;


/**
 * start: record the intent, mount the root, run under conmon, record the outcome. since: when
 * the request arrived (performance.now()), for the -D trace.
 */
export async function startContainer(ctx: StartContainerDeps, ref: string, o: { restart?: boolean; hostConfig?: Partial<HostConfig>; since?: number } = {}): Promise<void> {
  const trace = phaseTrace(ctx.log, o.since);
  if (o.since !== undefined) trace.mark('api');
  const { id } = getContainer(ctx.views, ref);
  if (!o.restart) ctx.restarts.cancel(id);
  try {
    await startLocked(ctx, id, !!o.restart, o.hostConfig, trace);
    trace.done('start trace', { id: id.slice(0, 12) });
  } catch (e) {
    trace.done('start trace', { id: id.slice(0, 12), failed: true });
    // --rm applies to a container that could not start too (the client waits for its removal).
    const c = ctx.views.containers.get(id);
    if (c?.hostConfig.AutoRemove && !isRunning(c)) await removeContainer(ctx, id, { force: true, volumes: true }).catch(() => undefined);
    throw e;
  }
}

/**
 * One intent, the work, one outcome. The intent (start-requested, with the addresses reserved
 * on the container's networks and the volumes it mounts) is appended under the IPAM lock, so no
 * other start takes those addresses; the outcome is started, or start-failed with what the
 * intent held given back. Two appends, whatever the container has. The container's conmon is
 * spawned while the intent is written and waits for launch() (cancelled if the start stops before).
 */
function startLocked(ctx: StartContainerDeps, id: string, restart: boolean, given: Partial<HostConfig> | undefined, trace: PhaseTrace): Promise<void> {
  return ctx.locks.run(id, async () => {
    trace.mark('lock');
    const c0 = getContainer(ctx.views, id);
    const atStart = given && (await hostConfigAtStart(ctx, c0, given));
    const requested = decideStart(c0, restart, atStart);
    // The container as its intent leaves it: a host config given at start applies from here.
    const c: ContainerView = atStart ? { ...c0, hostConfig: atStart.hostConfig, ...(atStart.mounts ? { mounts: atStart.mounts } : {}) } : c0;
    await recreateMissingVolumes(ctx, c);
    // conmon opens the log as it starts: its directory (and a rotated log's files) first.
    mkdirSync(path.join(ctx.containersDir, c.id), { recursive: true });
    await prepareLog(ctx, c);
    trace.mark('decide');
    let reservation: NetworkReservation;
    let monitor: PendingStart | undefined;
    try {
      reservation = await ctx.locks.run(IPAM_LOCK, async () => {
        const r = await reserveNetwork(ctx, c);
        trace.mark('reserve');
        const intent = appendFor(ctx, c, [...requested, ...r.events, ...volumeMountEvents(c)]);
        intent.catch(() => undefined); // a failure is met below, after the conmon
        // While the intent is written: conmon (the one spawned after the create, or one now),
        // its runc waiting until launch() writes the spec (see runtime.monitor).
        let spawned: PendingStart | undefined;
        let spawnError: unknown;
        try {
          spawned = await spawnMonitor(ctx, c);
        } catch (e) {
          spawnError = e;
        }
        trace.mark('conmonSpawn');
        trace.note('conmon', spawned?.prewarmed ? 'prewarmed' : 'spawned');
        try {
          await intent;
        } catch (e) {
          spawned?.cancel();
          throw e;
        }
        trace.mark('intentAppend');
        if (spawnError) throw spawnError;
        monitor = spawned;
        return r;
      });
    } catch (e) {
      // Refused before anything was held (a network gone, a port taken): requested and failed, in one record.
      if (ctx.views.containers.get(id)?.status === 'starting') throw await failStart(ctx, id, e);
      const { message, exitCode } = failureOf(e);
      await appendFor(ctx, c, [...requested, { type: 'container.start-failed', data: { id, error: message, exitCode } }]);
      throw asWharfError(e, message, exitCode);
    }
    crashPoint('start.after-intent');
    try {
      const started = await launch(ctx, getContainer(ctx.views, id), reservation.attachments, trace, monitor!);
      crashPoint('start.after-conmon');
      await appendFor(ctx, c, [{ type: 'container.started', data: { id, ...started, startedAt: nowRfc3339() } }]);
      trace.mark('outcomeAppend');
    } catch (e) {
      monitor?.cancel();
      throw await failStart(ctx, id, e);
    }
  });
}

/**
 * A host config given at start (API < 1.24, as Docker 0.7's clients sent -p, -v, --link and
 * --privileged): the fields given replace the container's, checked as create checks them;
 * the mounts are resolved again when binds or volumes-from came with it.
 */
async function hostConfigAtStart(ctx: StartContainerDeps, c: ContainerView, given: Partial<HostConfig>): Promise<{ hostConfig: HostConfig; mounts?: MountPoint[] }> {
  decideStart(c); // a container that cannot start is refused before anything is made for it
  const hostConfig = { ...c.hostConfig, ...given } as HostConfig;
  checkLinkTargets(ctx, hostConfig.Links);
  if (Array.isArray(given.Links)) hostConfig.Links = normalizeLinks(ctx, given.Links as string[], c.name);
  try {
    hostOptions(hostConfig, ctx.hostLimits, { createBindSources: false });
  } catch (e) {
    throw invalidArgument((e as Error).message);
  }
  const remount = 'Binds' in given || 'VolumesFrom' in given || 'Mounts' in given || 'Tmpfs' in given;
  return remount ? { hostConfig, mounts: await resolveContainerMounts(ctx, c.config, hostConfig) } : { hostConfig };
}

function failureOf(e: unknown): { message: string; exitCode: number } {
  const message = startErrorMessage(e);
  const exitCode = /executable file not found|no such file or directory/.test(message) ? 127 : /permission denied/.test(message) ? 126 : 128;
  return { message, exitCode };
}

function asWharfError(e: unknown, message: string, exitCode: number): WharfError {
  return e instanceof WharfError ? e : new WharfError(exitCode === 128 ? 'internal' : 'invalid-argument', message);
}

/** The outcome of a start that failed after its intent: recorded, and what it held released. Returns the error to throw. */
async function failStart(ctx: StartContainerDeps, id: string, e: unknown): Promise<WharfError> {
  const { message, exitCode } = failureOf(e);
  const now = getContainer(ctx.views, id);
  await appendFor(ctx, now, [{ type: 'container.start-failed', data: { id, error: message, exitCode } }, ...disconnectEvents(now), ...volumeUnmountEvents(now)]);
  if (portsOf(now).length) await syncNat(ctx).catch(() => undefined);
  await ctx.runtime.abandon(id).catch(() => undefined);
  await ctx.storage.unmount(id).catch(() => undefined);
  await releaseRun(ctx, getContainer(ctx.views, id));
  return asWharfError(e, message, exitCode);
}

/** The container's conmon, spawned and waiting for its spec. */
function spawnMonitor(ctx: StartContainerDeps, c: ContainerView): Promise<PendingStart> {
  return ctx.runtime.monitor(monitorOptions(ctx, c));
}

/** What the container's conmon is started with. */
function monitorOptions(ctx: Pick<StartContainerDeps, 'containersDir'>, c: ContainerView): MonitorOptions {
  return {
    id: c.id,
    logPath: logPath(ctx, c.id),
    logSizeMax: conmonLogCap(logPolicyOfContainer(c)),
    tty: c.config.Tty,
    stdin: c.config.OpenStdin,
    // Docker closes stdin after the first attach ends only for stdin-once, non-tty containers.
    leaveStdinOpen: c.config.Tty || !c.config.StdinOnce,
  };
}

/**
 * A container just created is usually started next (docker run, compose): its conmon is spawned
 * now, off the start's path (see runtime.prewarm), and the start takes it. Not for a log that
 * rotates (its files are prepared at start). Never fails: a start spawns its own.
 */
export function prewarmStart(ctx: Pick<StartContainerDeps, 'views' | 'runtime' | 'containersDir' | 'log'>, id: string): void {
  const c = ctx.views.containers.get(id);
  if (!c || c.status !== 'created' || logPolicyOfContainer(c).kind === 'rotate') {
    ctx.runtime.unwarm(id); // one spawned ahead for its id (NextContainer) is not for it
    return;
  }
  try {
    mkdirSync(path.join(ctx.containersDir, c.id), { recursive: true });
    ctx.runtime.prewarm(monitorOptions(ctx, c));
  } catch (e) {
    ctx.log.debug({ id, err: (e as Error).message }, 'no conmon spawned ahead of the start');
  }
}

async function launch(ctx: StartContainerDeps, c: ContainerView, attachments: NetworkAttachment[], trace: PhaseTrace, monitor: PendingStart): Promise<{ pid: number; conmonPid: number }> {
  const image = ctx.views.images.images.get(c.imageId);
  if (!image) throw invalidArgument(`image ${c.imageId} of container ${c.id} is gone`);
  await ctx.storage.prepare(c.id);
  trace.mark('prepare');
  const rootfs = await ctx.storage.mount(c.id, ctx.images.lowerDirs(image.layers));
  trace.mark('mount');
  const { passwd, group } = accountsOf(ctx, c, rootfs);
  trace.mark('user');
  let user;
  try {
    user = resolveUser(c.config.User, passwd, group);
    user.additionalGids = [...new Set([...(user.additionalGids ?? []), ...resolveGroupAdd(c.hostConfig.GroupAdd as string[] | null | undefined, group)])];
  } catch (e) {
    throw invalidArgument((e as Error).message);
  }
  checkLinks(ctx, c);
  const env = [`HOSTNAME=${c.config.Hostname}`, ...linkEnv(ctx, c), ...c.config.Env.filter((e) => !e.startsWith('HOSTNAME='))];
  if (c.config.Tty && !env.some((e) => e.startsWith('TERM='))) env.push('TERM=xterm');
  if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${homeOf(passwd, user.uid)}`);
  let host;
  try {
    host = hostOptions(c.hostConfig, ctx.hostLimits);
  } catch (e) {
    throw invalidArgument((e as Error).message);
  }
  const { namespaces, shm } = await namespacesAtStart(ctx, c);
  trace.mark('spec');
  host.mounts.push(...(await writeNetworkFiles(ctx, c, attachments)));
  trace.mark('netFiles');
  host.mounts.push(...(await prepareVolumeMounts(ctx, c, rootfs)));
  trace.mark('volumes');
  const cgroupsPath = await claimCgroupParents(ctx, c, cgroupsPathOf(c));
  trace.mark('cgroups');
  const spec = buildSpec({
    args: [c.path, ...c.args],
    env,
    cwd: c.config.WorkingDir || '/',
    user,
    tty: c.config.Tty,
    consoleSize: consoleSizeOf(c.hostConfig.ConsoleSize),
    hostname: c.config.Hostname,
    domainname: c.config.Domainname,
    rootfs,
    readonlyRootfs: c.hostConfig.ReadonlyRootfs,
    cgroupsPath,
    host,
    namespaces,
    shm,
    maskedPaths: c.hostConfig.MaskedPaths as string[] | null | undefined,
    readonlyPaths: c.hostConfig.ReadonlyPaths as string[] | null | undefined,
    // Docker's defaults only where the container has its own network namespace; the user's over them.
    // The domain name too, as a sysctl of its UTS namespace (as Docker does: runc 1.1 ignores the spec's domainname).
    sysctls: {
      ...(namespaces.network ? {} : DEFAULT_NET_SYSCTLS),
      ...(c.config.Domainname && !namespaces.uts ? { 'kernel.domainname': c.config.Domainname } : {}),
      ...((c.hostConfig.Sysctls as Record<string, string> | null | undefined) ?? {}),
    },
    annotations: c.hostConfig.Annotations,
  });
  if (c.config.WorkingDir) await fsp.mkdir(path.join(rootfs, c.config.WorkingDir), { recursive: true }).catch(() => undefined);
  trace.mark('spec');
  return monitor.start({
    spec,
    onSpawned: () => crashPoint('start.after-spawn'),
    onPhase: trace.on ? (phase) => trace.mark(phase) : undefined,
    onResume: (spawned) => crashPoint(spawned ? 'start.during-runc-start' : 'start.before-runc-start'),
    beforeStart: attachments.length
      ? async (pid) => {
          const t1 = performance.now();
          await attachNetwork(ctx, attachments, pid);
          ctx.log.debug({ id: c.id.slice(0, 12), attachMs: +(performance.now() - t1).toFixed(1) }, 'network set up');
        }
      : undefined,
  });
}

function consoleSizeOf(v: unknown): [number, number] | undefined {
  return Array.isArray(v) && v.length === 2 && v[0] > 0 && v[1] > 0 ? [Number(v[0]), Number(v[1])] : undefined;
}

function homeOf(passwd: string, uid: number): string {
  const line = passwd.split('\n').find((l) => l.split(':')[2] === String(uid));
  return line?.split(':')[5] || '/';
}

function startErrorMessage(e: unknown): string {
  if (e instanceof StartError) {
    const raw = e.message.replace(/^.*?msg="?/s, '').replace(/"?\s*$/, '');
    return `failed to create task for container: OCI runtime create failed: runc create failed: ${raw}`;
  }
  return (e as Error).message;
}
