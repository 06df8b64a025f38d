/**
 * The shapes of API versions before today's, back to 1.9 (the Remote API of Docker 0.7):
 * what a client asking for /v1.9/... (or a later old version) was answered, per the version's
 * documentation. Each function takes today's answer (or the view) and the version asked for.
 */
import type { ImageView } from '../../domain/image';
import { repoTags } from './image';

/** An API version as [major, minor]. */
export type ApiVersion = readonly [number, number];
export const before = (v: ApiVersion, major: number, minor: number): boolean => v[0] < major || (v[0] === major && v[1] < minor);

/** Before content-addressable images (API 1.22, Docker 1.10) an image id was 64 hex digits, no algorithm. */
export const bareId = (id: string): string => id.replace(/^sha256:/, '');

const secs = (t: string) => Math.floor(Date.parse(t) / 1000);

/**
 * GET /images/json before API 1.22: one entry per image (since 1.7), RepoTags "<none>:<none>"
 * for an untagged one, ids without "sha256:", ParentId only when there is a parent (as the
 * v1.9 document shows it); Labels came with 1.17, RepoDigests with 1.18.
 */
export function legacyImageSummary(img: ImageView, v: ApiVersion): Record<string, unknown> {
  const tags = repoTags(img.tags);
  return {
    RepoTags: tags.length ? tags : ['<none>:<none>'],
    ...(img.parent ? { ParentId: bareId(img.parent) } : {}),
    Id: bareId(img.id),
    Created: secs(img.created),
    Size: img.size,
    VirtualSize: img.size,
    ...(before(v, 1, 17) ? {} : { Labels: img.config.Labels ?? null }),
    ...(before(v, 1, 18) ? {} : { RepoDigests: img.repoDigests?.length ? img.repoDigests : ['<none>@<none>'] }),
  };
}

/** A container config as Docker 0.7 wrote it: Memory, MemorySwap, CpuShares, Dns, VolumesFrom and PortSpecs still in it. */
function legacyConfig(config: Record<string, unknown>, hostConfig: Record<string, unknown> = {}): Record<string, unknown> {
  const volumesFrom = hostConfig.VolumesFrom as string[] | null | undefined;
  return {
    Hostname: config.Hostname ?? '',
    Domainname: config.Domainname ?? '',
    User: config.User ?? '',
    Memory: hostConfig.Memory ?? 0,
    MemorySwap: hostConfig.MemorySwap ?? 0,
    CpuShares: hostConfig.CpuShares ?? 0,
    AttachStdin: config.AttachStdin ?? false,
    AttachStdout: config.AttachStdout ?? false,
    AttachStderr: config.AttachStderr ?? false,
    PortSpecs: null,
    ExposedPorts: config.ExposedPorts ?? null,
    Tty: config.Tty ?? false,
    OpenStdin: config.OpenStdin ?? false,
    StdinOnce: config.StdinOnce ?? false,
    Env: config.Env ?? null,
    Cmd: config.Cmd ?? null,
    Dns: hostConfig.Dns ?? null,
    Image: config.Image ?? '',
    Volumes: config.Volumes ?? null,
    VolumesFrom: volumesFrom?.length ? volumesFrom.join(',') : '',
    WorkingDir: config.WorkingDir ?? '',
    Entrypoint: config.Entrypoint ?? null,
    NetworkDisabled: config.NetworkDisabled ?? false,
  };
}

/**
 * GET /images/(name)/json before API 1.12: the image's own JSON, in lower case ("id",
 * "parent", "created", "container_config"...), "Size" as Docker 0.7 wrote it.
 */
export function legacyImageInspect(img: ImageView): Record<string, unknown> {
  return {
    id: bareId(img.id),
    ...(img.parent ? { parent: bareId(img.parent) } : {}),
    ...(img.comment ? { comment: img.comment } : {}),
    created: img.created,
    ...(img.author ? { author: img.author } : {}),
    config: legacyConfig(img.config as Record<string, unknown>),
    architecture: img.platform?.architecture ?? 'amd64',
    os: img.platform?.os ?? 'linux',
    Size: img.size,
  };
}

/**
 * GET /containers/(id)/json for old versions: today's answer with what the old documents
 * show added (so an old client finds its fields, a newer one its own): before 1.12 the v1.9
 * shape (State.Ghost, NetworkSettings.IpAddress/IpPrefixLen/PortMapping, the old Config,
 * SysInitPath); before 1.20 Volumes and VolumesRW (destination → source, and whether writable).
 */
export function legacyContainerInspect(today: Record<string, unknown>, v: ApiVersion): Record<string, unknown> {
  const out: Record<string, unknown> = { ...today };
  const hostConfig = (today.HostConfig ?? {}) as Record<string, unknown>;
  const mounts = (today.Mounts ?? []) as { Destination: string; Source: string; RW: boolean }[];
  if (before(v, 1, 20)) {
    out.Volumes = Object.fromEntries(mounts.map((m) => [m.Destination, m.Source]));
    out.VolumesRW = Object.fromEntries(mounts.map((m) => [m.Destination, m.RW]));
  }
  if (before(v, 1, 19)) {
    const config = (today.Config ?? {}) as Record<string, unknown>;
    out.Config = { ...config, Memory: hostConfig.Memory ?? 0, MemorySwap: hostConfig.MemorySwap ?? 0, CpuShares: hostConfig.CpuShares ?? 0, Cpuset: hostConfig.CpusetCpus ?? '' };
  }
  if (before(v, 1, 12)) {
    out.ID = today.Id;
    out.Config = { ...legacyConfig((today.Config ?? {}) as Record<string, unknown>, hostConfig), ...(out.Config as Record<string, unknown>), PortSpecs: null };
    const state = (today.State ?? {}) as Record<string, unknown>;
    out.State = { ...state, Ghost: false };
    const ns = (today.NetworkSettings ?? {}) as Record<string, unknown>;
    out.NetworkSettings = { ...ns, IpAddress: ns.IPAddress ?? '', IpPrefixLen: ns.IPPrefixLen ?? 0, PortMapping: null };
    out.SysInitPath = '';
  }
  return out;
}

/**
 * GET /events before API 1.22: {status, id, from, time} lines (no Type, Action, Actor), and
 * only what those versions reported: container events (from: the image) and image events.
 */
export function legacyEvent(m: Record<string, unknown>): Record<string, unknown> | undefined {
  const type = m.Type as string | undefined;
  if (type !== 'container' && type !== 'image') return undefined;
  const actor = (m.Actor ?? {}) as { ID?: string; Attributes?: Record<string, string> };
  const status = (m.status ?? m.Action) as string;
  // Actions those versions did not have (exec_create: ..., health_status: ..., attach, resize...).
  if (/[:_]/.test(status) || ['attach', 'detach', 'resize', 'rename', 'update', 'prune', 'oom', 'load', 'save'].includes(status)) return undefined;
  const id = type === 'image' ? bareId((m.id ?? actor.ID) as string) : ((m.id ?? actor.ID) as string);
  const from = type === 'container' ? ((m.from ?? actor.Attributes?.image) as string | undefined) : undefined;
  return { status, id, ...(from !== undefined ? { from } : {}), time: m.time };
}

/**
 * POST /containers/create before API 1.19: Memory, MemorySwap, CpuShares and Cpuset were in
 * the config, not the host config; before 1.15 (no HostConfig at create yet) so were Dns,
 * VolumesFrom (one string, comma-separated, in Docker 0.7) and PortSpecs ("[ip:][hostPort:]port[/proto]").
 * They are moved where today's create reads them; what the host config itself says wins.
 */
export function liftLegacyCreate<T extends Record<string, unknown>>(body: T, beforeHostConfig: boolean): T {
  const hc: Record<string, unknown> = { ...((body.HostConfig as Record<string, unknown> | null | undefined) ?? {}) };
  const lift = (from: string, to = from, map = (x: unknown) => x) => {
    const v = body[from];
    if (v === undefined || v === null || v === '' || v === 0) return;
    if (hc[to] === undefined || hc[to] === null || hc[to] === 0 || hc[to] === '') hc[to] = map(v);
  };
  lift('Memory');
  lift('MemorySwap');
  lift('CpuShares');
  lift('Cpuset', 'CpusetCpus');
  const out: Record<string, unknown> = { ...body };
  if (beforeHostConfig) {
    lift('Dns', 'Dns', (v) => (typeof v === 'string' ? [v] : v));
    lift('VolumesFrom', 'VolumesFrom', (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v));
    const specs = Array.isArray(body.PortSpecs) ? (body.PortSpecs as string[]) : [];
    if (specs.length) {
      const exposed: Record<string, object> = { ...((body.ExposedPorts as Record<string, object> | null | undefined) ?? {}) };
      const bindings: Record<string, { HostIp: string; HostPort: string }[]> = { ...((hc.PortBindings as Record<string, { HostIp: string; HostPort: string }[]> | null | undefined) ?? {}) };
      for (const spec of specs) {
        const [rest, proto = 'tcp'] = String(spec).split('/');
        const parts = rest.split(':');
        const port = parts.pop()!;
        const key = `${port}/${proto}`;
        exposed[key] = {};
        if (parts.length) {
          const hostPort = parts.pop() ?? '';
          const hostIp = parts.join(':');
          bindings[key] = [...(bindings[key] ?? []), { HostIp: hostIp, HostPort: hostPort }];
        }
      }
      out.ExposedPorts = exposed;
      if (Object.keys(bindings).length) hc.PortBindings = bindings;
    }
    delete out.PortSpecs;
    delete out.Dns;
    delete out.VolumesFrom;
  }
  for (const k of ['Memory', 'MemorySwap', 'CpuShares', 'Cpuset']) delete out[k];
  out.HostConfig = hc;
  return out as T;
}
