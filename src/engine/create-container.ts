import { conflict, invalidArgument } from '../domain/errors';
import type { ContainerConfig, HostConfig } from '../domain/events';
import { generateName, newId, validContainerName } from '../domain/ids';
import type { ImageView } from '../domain/image';
import { nowRfc3339 } from '../domain/time';
import { hostOptions } from '../runtime/host-options';
import { appendFor, getImage, type EngineContext } from './context';
import { resolveContainerMounts } from './container-volumes';

/** What a client asks for: Docker's create body (Config plus HostConfig). */
export type CreateRequest = Partial<ContainerConfig> & { HostConfig?: Partial<HostConfig> } & Record<string, unknown>;

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export async function createContainer(ctx: EngineContext, req: CreateRequest, name?: string): Promise<{ id: string; warnings: string[] }> {
  if (!req.Image) throw invalidArgument('Config cannot be empty in order to create a container');
  const image = getImage(ctx.views, req.Image);
  if (name !== undefined && name !== '') {
    if (!validContainerName(name)) {
      throw invalidArgument(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    }
    name = name.replace(/^\//, '');
  } else {
    name = generateName((n) => ctx.views.names.has(n));
  }
  const existing = ctx.views.names.get(name);
  if (existing) {
    throw conflict(
      `Conflict. The container name "/${name}" is already in use by container "${existing}". You have to remove (or rename) that container to be able to reuse that name.`,
    );
  }
  const id = newId();
  const config = mergeConfig(id, req, image);
  const cmdline = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
  if (cmdline.length === 0) throw invalidArgument('No command specified');
  const hostConfig = defaultHostConfig(req.HostConfig);
  try {
    hostOptions(hostConfig, ctx.hostLimits, { createBindSources: false }); // refuse bad options now, not at start
  } catch (e) {
    throw invalidArgument((e as Error).message);
  }
  const mounts = await resolveContainerMounts(ctx, config, hostConfig);
  // The name is claimed by the append itself: the view updates synchronously on commit, and
  // two creates with one name are serialised on the name's lock.
  return ctx.locks.run(`name:${name}`, async () => {
    const again = ctx.views.names.get(name!);
    if (again) {
      throw conflict(
        `Conflict. The container name "/${name}" is already in use by container "${again}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    const c = { name: name!, image: req.Image!, config };
    await appendFor(ctx, c, [
      {
        type: 'container.created',
        data: {
          id,
          name: name!,
          image: req.Image!,
          imageId: image.id,
          created: nowRfc3339(),
          path: cmdline[0],
          args: cmdline.slice(1),
          config,
          hostConfig,
          mounts,
        },
      },
    ]);
    return { id, warnings: [] };
  });
}

/** The image's config under the user's options, as Docker merges them. */
export function mergeConfig(id: string, req: CreateRequest, image: ImageView): ContainerConfig {
  const ic = image.config;
  const userEntrypoint = req.Entrypoint !== undefined && req.Entrypoint !== null;
  const entrypoint = userEntrypoint ? (req.Entrypoint as string[]) : ic.Entrypoint ?? null;
  let cmd: string[] | null;
  if (req.Cmd && req.Cmd.length > 0) cmd = req.Cmd;
  else if (userEntrypoint) cmd = null;
  else cmd = ic.Cmd ?? null;
  const env = mergeEnv(ic.Env ?? [], req.Env ?? []);
  if (!env.some((e) => e.startsWith('PATH='))) env.unshift(DEFAULT_PATH);
  return {
    Hostname: req.Hostname || id.slice(0, 12),
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
    OnBuild: ic.OnBuild ?? null,
    Labels: { ...(ic.Labels ?? {}), ...(req.Labels ?? {}) },
    ...(req.StopSignal || ic.StopSignal ? { StopSignal: req.StopSignal || ic.StopSignal } : {}),
    ...(req.StopTimeout !== undefined && req.StopTimeout !== null ? { StopTimeout: req.StopTimeout } : {}),
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

function defaultHostConfig(h: Partial<HostConfig> = {}): HostConfig {
  return {
    ...h,
    Binds: h.Binds ?? null,
    AutoRemove: !!h.AutoRemove,
    NetworkMode: h.NetworkMode || 'default',
    RestartPolicy: h.RestartPolicy ?? { Name: 'no', MaximumRetryCount: 0 },
    Privileged: !!h.Privileged,
    ReadonlyRootfs: !!h.ReadonlyRootfs,
  };
}
