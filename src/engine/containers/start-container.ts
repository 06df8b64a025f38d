import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { decideStart, isRunning, type ContainerView } from '../../domain/container';
import type { HostConfig, MountPoint } from '../../domain/events';
import { invalidArgument, WharfError } from '../../domain/errors';
import { attachNetwork, disconnectEvents, portsOf, prepareNetwork, syncNat } from '../networks/container-network';
import { checkLinks, checkLinkTargets, linkEnv, normalizeLinks } from './container-links';
import { nowRfc3339 } from '../../domain/time';
import { hostOptions } from '../../runtime/host-options';
import { DEFAULT_NET_SYSCTLS } from '../../domain/container-defaults';
import { buildSpec } from '../../runtime/oci-spec';
import { StartError } from '../../runtime/runc-conmon';
import { resolveUser } from '../../runtime/user';
import { appendFor, getContainer, type EngineContext } from '../context';
import { prepareVolumeMounts, resolveContainerMounts } from './container-volumes';
import { removeContainer } from './remove-container';
import { crashPoint } from '../lib/crash-point';
import { namespacesAtStart } from './container-namespaces';
import { claimCgroupParents, releaseRun } from './container-release';
import { resolveGroupAdd } from '../../runtime/user';
import { conmonLogCap, logPath, logPolicyOfContainer, prepareLog } from './log-rotation';

/** The container's cgroup: under HostConfig.CgroupParent (absolute in each hierarchy, as dockerd's cgroupfs driver), else /wharf. */
export const cgroupsPathOf = (c: Pick<ContainerView, 'id' | 'hostConfig'>): string =>
  c.hostConfig.CgroupParent ? path.posix.join('/', String(c.hostConfig.CgroupParent), c.id) : `/wharf/${c.id}`;


/** start: record the intent, mount the root, run under conmon, record the outcome. */
export async function startContainer(ctx: EngineContext, ref: string, o: { restart?: boolean; hostConfig?: Partial<HostConfig> } = {}): Promise<void> {
  const { id } = getContainer(ctx.views, ref);
  if (!o.restart) ctx.restarts.cancel(id);
  try {
    await startLocked(ctx, id, !!o.restart, o.hostConfig);
  } catch (e) {
    // --rm applies to a container that could not start too (the client waits for its removal).
    const c = ctx.views.containers.get(id);
    if (c?.hostConfig.AutoRemove && !isRunning(c)) await removeContainer(ctx, id, { force: true, volumes: true }).catch(() => undefined);
    throw e;
  }
}

function startLocked(ctx: EngineContext, id: string, restart: boolean, given?: Partial<HostConfig>): Promise<void> {
  return ctx.locks.run(id, async () => {
    const c0 = getContainer(ctx.views, id);
    await appendFor(ctx, c0, decideStart(c0, restart, given && (await hostConfigAtStart(ctx, c0, given))));
    const c = getContainer(ctx.views, id);
    crashPoint('start.after-intent');
    try {
      const started = await launch(ctx, c);
      crashPoint('start.after-conmon');
      await appendFor(ctx, c, [{ type: 'container.started', data: { id, ...started, startedAt: nowRfc3339() } }]);
    } catch (e) {
      const message = startErrorMessage(e);
      const exitCode = /executable file not found|no such file or directory/.test(message) ? 127 : /permission denied/.test(message) ? 126 : 128;
      const now = getContainer(ctx.views, id);
      await appendFor(ctx, c, [{ type: 'container.start-failed', data: { id, error: message, exitCode } }, ...disconnectEvents(now)]);
      if (portsOf(now).length) await syncNat(ctx).catch(() => undefined);
      await ctx.runtime.abandon(id).catch(() => undefined);
      await ctx.storage.unmount(id).catch(() => undefined);
      await releaseRun(ctx, getContainer(ctx.views, id));
      throw e instanceof WharfError ? e : new WharfError(exitCode === 128 ? 'internal' : 'invalid-argument', message);
    }
  });
}

/**
 * A host config given at start (API < 1.24, as Docker 0.7's clients sent -p, -v, --link and
 * --privileged): the fields given replace the container's, checked as create checks them;
 * the mounts are resolved again when binds or volumes-from came with it.
 */
async function hostConfigAtStart(ctx: EngineContext, c: ContainerView, given: Partial<HostConfig>): Promise<{ hostConfig: HostConfig; mounts?: MountPoint[] }> {
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

async function launch(ctx: EngineContext, c: ContainerView): Promise<{ pid: number; conmonPid: number }> {
  const image = ctx.views.images.images.get(c.imageId);
  if (!image) throw invalidArgument(`image ${c.imageId} of container ${c.id} is gone`);
  await ctx.storage.prepare(c.id);
  await fsp.mkdir(path.join(ctx.containersDir, c.id), { recursive: true });
  const rootfs = await ctx.storage.mount(c.id, ctx.images.lowerDirs(image.layers));
  const [passwd, group] = await Promise.all(
    ['etc/passwd', 'etc/group'].map((f) => fsp.readFile(path.join(rootfs, f), 'utf8').catch(() => '')),
  );
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
  const t0 = performance.now();
  const net = await prepareNetwork(ctx, c);
  const prepared = performance.now() - t0;
  host.mounts.push(...net.mounts);
  const volumes = await prepareVolumeMounts(ctx, c, rootfs);
  host.mounts.push(...volumes.mounts);
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
    cgroupsPath: await claimCgroupParents(ctx, c, cgroupsPathOf(c)),
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
  });
  await ctx.journal.append(volumes.events);
  if (c.config.WorkingDir) await fsp.mkdir(path.join(rootfs, c.config.WorkingDir), { recursive: true }).catch(() => undefined);
  await prepareLog(ctx, c);
  return ctx.runtime.start({
    id: c.id,
    spec,
    logPath: logPath(ctx, c.id),
    logSizeMax: conmonLogCap(logPolicyOfContainer(c)),
    tty: c.config.Tty,
    stdin: c.config.OpenStdin,
    // Docker closes stdin after the first attach ends only for stdin-once, non-tty containers.
    leaveStdinOpen: c.config.Tty || !c.config.StdinOnce,
    onSpawned: () => crashPoint('start.after-spawn'),
    onResume: (spawned) => crashPoint(spawned ? 'start.during-runc-start' : 'start.before-runc-start'),
    beforeStart: net.attachments.length
      ? async (pid) => {
          const t1 = performance.now();
          await attachNetwork(ctx, net.attachments, pid);
          ctx.log.debug({ id: c.id.slice(0, 12), prepareMs: +prepared.toFixed(1), attachMs: +(performance.now() - t1).toFixed(1) }, 'network set up');
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
