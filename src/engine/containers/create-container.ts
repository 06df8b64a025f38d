import os from 'node:os';
import { checkRestartPolicy } from '../../domain/container';
import { checkHealthcheck, mergeHealthcheck } from '../../domain/health';
import { invalidArgument, notFound } from '../../domain/errors';
import { parsePlatform, platformMatches, platformString, type Platform } from '../../registry/manifest';
import type { ContainerConfig, HostConfig } from '../../domain/events';
import { generateName, newId, validContainerName } from '../../domain/ids';
import type { ImageView } from '../../domain/image';
import { nowRfc3339 } from '../../domain/time';
import { hostOptions } from '../../runtime/host-options';
import { appendFor, findContainer, getImage } from '../lookup';
import { crashPoint } from '../lib/crash-point';
import { resolveContainerMounts } from './container-volumes';
import { joinsAtCreate, type NetworkingConfig } from '../networks/networks';
import { checkLinkTargets, normalizeLinks } from './container-links';
import { checkLogConfig, pathDefaults, type LogConfig } from '../../domain/container-defaults';
import { donorOf } from '../../domain/namespace-modes';
import { namespaceModesAtCreate } from './container-namespaces';
import { phaseTrace, type PhaseTrace } from '../lib/phase-trace';
import { prewarmStart } from './start-container';

import type { EngineDeps } from '../ports';
import { commandLine, decideCreate, nameInUse } from '../../domain/container-create';

/** What create-container uses of the engine. */
export type CreateContainerDeps = Pick<EngineDeps, 'journal' | 'views' | 'volumes' | 'containersDir' | 'hostLimits' | 'log' | 'locks' | 'network' | 'bootTime' | 'logDefaults' | 'runtime' | 'nextContainer'>;
/** What a client asks for: Docker's create body (Config plus HostConfig). */
export type CreateRequest = Partial<ContainerConfig> & { HostConfig?: Partial<HostConfig> } & Record<string, unknown>;

/** dockerd's GetImage with a platform: an image of another platform is not the one asked for. */
function checkImagePlatform(ref: string, image: ImageView, want: Platform): void {
  const have = { os: image.platform?.os ?? 'linux', architecture: image.platform?.architecture ?? 'amd64', variant: image.platform?.variant };
  if (platformMatches(want, have)) return;
  throw notFound(`image with reference ${ref} was found but does not match the specified platform: wanted ${platformString(want)}, actual: ${platformString(have)}`);
}

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * platform: a ?platform= specifier (checked at the edge); the image must be of that platform.
 * since: when the request arrived (performance.now()), for the -D trace.
 */
export async function createContainer(ctx: CreateContainerDeps, req: CreateRequest, name?: string, platform?: string, since?: number): Promise<{ id: string; warnings: string[] }> {
  const trace = phaseTrace(ctx.log, since);
  if (since !== undefined) trace.mark('api');
  if (!req.Image) throw invalidArgument('Config cannot be empty in order to create a container');
  const image = getImage(ctx.views, req.Image);
  if (platform) checkImagePlatform(req.Image, image, parsePlatform(platform));
  const generated = name === undefined || name === '';
  if (!generated) {
    if (!validContainerName(name!)) {
      throw invalidArgument(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    }
    name = name!.replace(/^\//, '');
    const existing = ctx.views.names.get(name);
    if (existing) throw nameInUse(name, existing);
  }
  const id = ctx.nextContainer?.take() ?? newId();
  const progress = { appending: false };
  try {
    await createWithId(ctx, req, id, image, name ?? '', generated, trace, progress);
  } catch (e) {
    ctx.nextContainer?.unused(id, !progress.appending);
    throw e;
  }
  ctx.nextContainer?.claimed(id);
  // Once the answer is out (setImmediate runs after this request's reply is written).
  setImmediate(() => prewarmStart(ctx, id));
  return { id, warnings: [] };
}

/** The create under its id, recorded (container.created) once this returns. */
async function createWithId(
  ctx: CreateContainerDeps,
  req: CreateRequest,
  id: string,
  image: ImageView,
  name: string,
  generated: boolean,
  trace: PhaseTrace,
  progress: { appending: boolean },
): Promise<void> {
  // ArgsEscaped is a Windows option (an escaped command line): nothing on Linux could apply it.
  if (req.ArgsEscaped === true) throw invalidArgument('ArgsEscaped: linux does not support escaped command lines (a Windows option)');
  const hostConfig = defaultHostConfig(req.HostConfig, ctx.logDefaults);
  // NetworkDisabled: no network at all, as --network none (recorded as that mode).
  if (req.NetworkDisabled === true) {
    if (!['', 'default', 'bridge', 'none'].includes(hostConfig.NetworkMode || '')) throw invalidArgument(`conflicting options: NetworkDisabled and network mode ${hostConfig.NetworkMode}`);
    hostConfig.NetworkMode = 'none';
  }
  Object.assign(hostConfig, namespaceModesAtCreate(ctx, { ...req, HostConfig: hostConfig } as never, hostConfig));
  const config = mergeConfig(id, req, image, sharedHostname(ctx, hostConfig));
  if (commandLine(config).length === 0) throw invalidArgument('No command specified');
  checkRestartPolicy(hostConfig.RestartPolicy, hostConfig.AutoRemove);
  checkLinkTargets(ctx, hostConfig.Links);
  const joins = joinsAtCreate(ctx, id, hostConfig, req.NetworkingConfig as NetworkingConfig, config.MacAddress);
  const badHealth = checkHealthcheck(req.Healthcheck);
  if (badHealth) throw invalidArgument(badHealth);
  try {
    hostOptions(hostConfig, ctx.hostLimits, { createBindSources: false }); // refuse bad options now, not at start
  } catch (e) {
    throw invalidArgument((e as Error).message);
  }
  trace.mark('validate');
  const mounts = await resolveContainerMounts(ctx, config, hostConfig);
  trace.mark('mounts');
  // The name is claimed by the append itself: the view updates synchronously on commit, and
  // two creates with one name are serialised on the name's lock. A generated name that a
  // concurrent create claimed meanwhile is generated again (as Docker does), a few times at most.
  for (let attempt = 0; ; attempt++) {
    const tryName = generated ? generateName((n) => ctx.views.names.has(n)) : name;
    const claimed = await ctx.locks.run(`name:${tryName}`, async () => {
      const again = ctx.views.names.get(tryName);
      if (again && generated && attempt < 10) return false;
      // Links as Docker records them: "/<child>:/<parent>/<alias>".
      if (Array.isArray(hostConfig.Links)) hostConfig.Links = normalizeLinks(ctx, hostConfig.Links as string[], tryName);
      const events = decideCreate({ id, name: tryName, image: req.Image!, imageId: image.id, created: nowRfc3339(), config, hostConfig, mounts }, again, joins);
      crashPoint('create.before-event');
      trace.mark('lock');
      progress.appending = true;
      await appendFor(ctx, { name: tryName, image: req.Image!, config }, events);
      trace.mark('append');
      return true;
    });
    if (claimed) crashPoint('create.after-event');
    if (claimed) {
      trace.done('create trace', { id: id.slice(0, 12) });
      return;
    }
  }
}

/** The host name a shared namespace gives: the host's (UTS or network host), a network donor's. */
function sharedHostname(ctx: CreateContainerDeps, h: HostConfig): string | undefined {
  if (h.UTSMode === 'host' || h.NetworkMode === 'host') return os.hostname();
  const donor = donorOf(h.NetworkMode);
  return donor === undefined ? undefined : findContainer(ctx.views, donor)?.config.Hostname;
}

/** The image's config under the user's options, as Docker merges them. */
export function mergeConfig(id: string, req: CreateRequest, image: ImageView, shared?: string): ContainerConfig {
  const ic = image.config;
  const userEntrypoint = req.Entrypoint !== undefined && req.Entrypoint !== null;
  const entrypoint = userEntrypoint ? (req.Entrypoint as string[]) : ic.Entrypoint ?? null;
  let cmd: string[] | null;
  if (req.Cmd && req.Cmd.length > 0) cmd = req.Cmd;
  else if (userEntrypoint) cmd = null;
  else cmd = ic.Cmd ?? null;
  const env = mergeEnv(ic.Env ?? [], req.Env ?? []);
  const healthcheck = mergeHealthcheck(req.Healthcheck, ic.Healthcheck);
  if (!env.some((e) => e.startsWith('PATH='))) env.unshift(DEFAULT_PATH);
  return {
    // --network host, --uts host: the host's name; container:<x>: its name, as Docker gives.
    Hostname: req.Hostname || shared || id.slice(0, 12),
    Domainname: req.Domainname ?? '',
    User: req.User || ic.User || '',
    AttachStdin: !!req.AttachStdin,
    AttachStdout: !!req.AttachStdout,
    AttachStderr: !!req.AttachStderr,
    Tty: !!req.Tty,
    OpenStdin: !!req.OpenStdin,
    StdinOnce: !!req.StdinOnce,
    Env: env,
    Cmd: cmd,
    Image: req.Image!,
    Volumes: req.Volumes || ic.Volumes ? { ...(ic.Volumes ?? {}), ...(req.Volumes ?? {}) } : null,
    WorkingDir: req.WorkingDir || ic.WorkingDir || '',
    Entrypoint: entrypoint && entrypoint.length ? entrypoint : null,
    // The request's triggers (kept by a commit), else the image's.
    OnBuild: req.OnBuild?.length ? req.OnBuild : ic.OnBuild ?? null,
    Labels: { ...(ic.Labels ?? {}), ...(req.Labels ?? {}) },
    ...(req.StopSignal || ic.StopSignal ? { StopSignal: req.StopSignal || ic.StopSignal } : {}),
    ...(req.StopTimeout !== undefined && req.StopTimeout !== null ? { StopTimeout: req.StopTimeout } : {}),
    ...(healthcheck ? { Healthcheck: healthcheck } : {}),
    ...(req.Shell?.length || ic.Shell?.length ? { Shell: req.Shell?.length ? req.Shell : ic.Shell } : {}),
    // The primary network's interface gets it (API < 1.44; later clients send it per endpoint).
    ...(req.MacAddress ? { MacAddress: req.MacAddress as string } : {}),
    ...(req.ExposedPorts || ic.ExposedPorts ? { ExposedPorts: { ...(ic.ExposedPorts ?? {}), ...(req.ExposedPorts ?? {}) } } : {}),
  };
}

export function mergeEnv(base: string[], over: string[]): string[] {
  const out = new Map<string, string>();
  for (const e of [...base, ...over]) {
    const k = e.includes('=') ? e.slice(0, e.indexOf('=')) : e;
    out.set(k, e);
  }
  return [...out.values()];
}

function defaultHostConfig(h: Partial<HostConfig> = {}, logDefaults?: LogConfig): HostConfig {
  return {
    ...h,
    // What Docker fills in at create and reports in inspect, applied at start as recorded.
    LogConfig: checkLogConfig(h.LogConfig as LogConfig | undefined, logDefaults),
    ...pathDefaults(h),
    Binds: h.Binds ?? null,
    AutoRemove: !!h.AutoRemove,
    NetworkMode: h.NetworkMode || 'default',
    RestartPolicy: h.RestartPolicy ?? { Name: 'no', MaximumRetryCount: 0 },
    Privileged: !!h.Privileged,
    ReadonlyRootfs: !!h.ReadonlyRootfs,
  };
}
