import type { ContainerSummary } from '../../wire/docker';
import type { PublishedPort } from '../../domain/network';
import { isRestarting, isRunning, type ContainerView, type EndpointConfig } from '../../domain/container';
import { logConfigOf, pathDefaults } from '../../domain/container-defaults';
import type { ProbeLog } from '../../domain/health';
import { humanDuration } from '../../domain/time';
import type { ContainerSize } from '../../engine/containers/container-size';

/** Docker's State.Status for a view status. */
export function dockerState(c: ContainerView): string {
  if (isRestarting(c)) return 'restarting';
  switch (c.status) {
    case 'starting':
      return 'created';
    case 'removing':
      return 'removing';
    default:
      return c.status;
  }
}

export function statusText(c: ContainerView, now = Date.now()): string {
  const ago = (t: string) => Math.max(0, (now - Date.parse(t)) / 1000);
  if (isRestarting(c)) return `Restarting (${c.exitCode}) ${humanDuration(ago(c.finishedAt))} ago`;
  switch (c.status) {
    case 'running':
      return `Up ${humanDuration(ago(c.startedAt))}${healthSuffix(c)}`;
    case 'paused':
      return `Up ${humanDuration(ago(c.startedAt))} (Paused)`;
    case 'exited':
      return `Exited (${c.exitCode}) ${humanDuration(ago(c.finishedAt))} ago`;
    case 'restarting':
      return `Restarting (${c.exitCode}) ${humanDuration(ago(c.finishedAt))} ago`;
    case 'removing':
      return 'Removal In Progress';
    default:
      return 'Created';
  }
}

/** ps shows a running container's health after its uptime. */
function healthSuffix(c: ContainerView): string {
  if (!c.health) return '';
  return c.health.status === 'starting' ? ' (health: starting)' : ` (${c.health.status})`;
}

function quoteArg(a: string): string {
  return /[\s"'\\]/.test(a) || a === '' ? JSON.stringify(a) : a;
}

/** linkNames: the names legacy links give it ("/<parent>/<alias>"), after its own. */
export function toSummary(c: ContainerView, size?: ContainerSize, linkNames: string[] = []): ContainerSummary {
  return {
    Id: c.id,
    Names: [`/${c.name}`, ...linkNames],
    Image: c.image,
    ImageID: c.imageId,
    Command: [c.path, ...c.args].map(quoteArg).join(' '),
    Created: Math.floor(Date.parse(c.created) / 1000),
    Ports: hostBindings(c).map(({ p, ip }) => ({ IP: ip, PrivatePort: p.containerPort, PublicPort: p.hostPort, Type: p.proto })),
    Labels: c.config.Labels ?? {},
    State: dockerState(c),
    Status: statusText(c),
    HostConfig: { NetworkMode: c.hostConfig.NetworkMode },
    NetworkSettings: { Networks: networksOf(c) },
    Mounts: mountsOf(c),
    ...sizeFields(size),
  };
}

/** SizeRw and SizeRootFs, present only when asked for (?size=1). */
function sizeFields(size: ContainerSize | undefined): Record<string, number> {
  return size ? { SizeRw: size.sizeRw, SizeRootFs: size.sizeRootFs } : {};
}

/** `probes`: the run's last health probes (kept beside the views, not in the journal); else the view's. */
export function toInspect(
  c: ContainerView,
  paths: {
    logPath: string; mergedDir: string; upperDir: string; lowerDirs: string[];
    /** The dir of its /etc/hosts, hostname, resolv.conf once made ("" before its first start, as Docker's). */
    etcDir?: string;
  },
  size?: ContainerSize,
  probes: ProbeLog | undefined = c.health,
): Record<string, unknown> {
  return {
    Id: c.id,
    Created: c.created,
    Path: c.path,
    Args: c.args,
    State: {
      Status: dockerState(c),
      // Docker counts a container waiting to be restarted as running (and restarting).
      Running: isRunning(c) || isRestarting(c),
      Paused: c.status === 'paused',
      Restarting: isRestarting(c),
      OOMKilled: c.oomKilled,
      Dead: false,
      Pid: isRunning(c) ? c.pid : 0,
      ExitCode: c.exitCode,
      Error: c.error,
      StartedAt: c.startedAt,
      FinishedAt: c.finishedAt,
      ...(c.health ? { Health: { Status: c.health.status, FailingStreak: probes?.failingStreak ?? 0, Log: probes?.log ?? [] } } : {}),
    },
    Image: c.imageId,
    ResolvConfPath: paths.etcDir ? `${paths.etcDir}/resolv.conf` : '',
    HostnamePath: paths.etcDir ? `${paths.etcDir}/hostname` : '',
    HostsPath: paths.etcDir ? `${paths.etcDir}/hosts` : '',
    LogPath: paths.logPath,
    Name: `/${c.name}`,
    RestartCount: c.restartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: {
      ContainerIDFile: '',
      PortBindings: {},
      VolumeDriver: '',
      VolumesFrom: null,
      CapAdd: null,
      CapDrop: null,
      Dns: [],
      DnsOptions: [],
      DnsSearch: [],
      ExtraHosts: null,
      GroupAdd: null,
      Cgroup: '',
      Links: null,
      OomScoreAdj: 0,
      PidMode: '',
      PublishAllPorts: false,
      SecurityOpt: null,
      UTSMode: '',
      UsernsMode: '',
      ShmSize: 67108864,
      Runtime: 'runc',
      Isolation: '',
      CpuShares: 0,
      Memory: 0,
      NanoCpus: 0,
      CgroupParent: '',
      BlkioWeight: 0,
      CpuPeriod: 0,
      CpuQuota: 0,
      CpusetCpus: '',
      CpusetMems: '',
      Devices: [],
      MemoryReservation: 0,
      MemorySwap: 0,
      PidsLimit: null,
      Ulimits: [],
      ...c.hostConfig,
      // Those applied: recorded at create (containers from before got the defaults unless privileged).
      ...pathDefaults(c.hostConfig),
      // The driver in use under Docker's name (records from before kept the client's {"Type":""}).
      LogConfig: logConfigOf(c.hostConfig.LogConfig),
      IpcMode: (c.hostConfig.IpcMode as string | undefined) || 'private',
    },
    GraphDriver: {
      Name: 'overlay2',
      Data: { LowerDir: paths.lowerDirs.join(':'), MergedDir: paths.mergedDir, UpperDir: paths.upperDir, WorkDir: paths.upperDir.replace(/upper$/, 'work') },
    },
    ...sizeFields(size),
    Mounts: mountsOf(c),
    Config: c.config,
    NetworkSettings: networkSettings(c),
  };
}

/** NetworkSettings.Ports: every exposed or published port, with its host bindings (null if none). */
function portMap(c: ContainerView): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const out: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const k of Object.keys(c.config.ExposedPorts ?? {})) out[k.includes('/') ? k : `${k}/tcp`] = null;
  for (const { p, ip } of hostBindings(c)) {
    const k = `${p.containerPort}/${p.proto}`;
    (out[k] ??= []).push({ HostIp: ip, HostPort: String(p.hostPort) });
  }
  return out;
}

/**
 * The host addresses each published port answers on: a port for every address is 0.0.0.0,
 * and also :: where the container has an IPv6 address to take it (as dockerd lists both).
 */
function hostBindings(c: ContainerView): { p: PublishedPort; ip: string }[] {
  return Object.values(c.networks ?? {}).flatMap((a) =>
    a.ports.flatMap((p) => (p.hostIp ? [{ p, ip: p.hostIp }] : [{ p, ip: '0.0.0.0' }, ...(a.ip6 ? [{ p, ip: '::' }] : [])])),
  );
}

/**
 * NetworkSettings.Networks by network name: every network the container is a member of
 * (its NetworkMode's and those joined), with its address there while it runs.
 */
export function networksOf(c: ContainerView): Record<string, unknown> {
  const mode = c.hostConfig.NetworkMode || 'default';
  if (mode.startsWith('container:')) return {};
  const out: Record<string, unknown> = {};
  const entry = (name: string, networkId: string, aliases: string[] | undefined, ipv4: string | undefined, e?: EndpointConfig) => {
    const n = Object.values(c.networks ?? {}).find((a) => a.networkId === networkId || (!networkId && a.network === name));
    const userDefined = !['bridge', 'host', 'none', 'default'].includes(name);
    out[name] = {
      IPAMConfig: ipv4 || e?.ipv6Address || e?.linkLocalIPs?.length
        ? { ...(ipv4 ? { IPv4Address: ipv4 } : {}), ...(e?.ipv6Address ? { IPv6Address: e.ipv6Address } : {}), ...(e?.linkLocalIPs?.length ? { LinkLocalIPs: e.linkLocalIPs } : {}) }
        : null,
      Links: e?.links?.length ? e.links : null,
      Aliases: aliases?.length ? aliases : null,
      MacAddress: n?.mac ?? e?.macAddress ?? '',
      DriverOpts: e?.driverOpts ?? null,
      GwPriority: 0,
      NetworkID: n?.networkId ?? networkId,
      EndpointID: n ? n.hostIf : '',
      Gateway: n?.gateway ?? '',
      IPAddress: n?.ip ?? '',
      IPPrefixLen: n?.prefix ?? 0,
      IPv6Gateway: n?.gateway6 ?? '',
      GlobalIPv6Address: n?.ip6 ?? '',
      GlobalIPv6PrefixLen: n?.prefix6 ?? 0,
      DNSNames: userDefined ? [...new Set([c.name, c.id.slice(0, 12), ...(aliases ?? [])])] : null,
    };
  };
  if (!c.endpoints && (mode === 'default' || mode === 'bridge' || mode === 'host' || mode === 'none')) {
    const name = mode === 'default' ? 'bridge' : mode;
    const live = Object.values(c.networks ?? {}).find((a) => a.network === name);
    entry(name, live?.networkId ?? '', undefined, undefined);
  }
  for (const e of Object.values(c.endpoints ?? {})) entry(e.network, e.networkId, e.aliases, e.ipv4Address, e);
  return out;
}

export function networkSettings(c: ContainerView): Record<string, unknown> {
  // The top-level fields are the default bridge's (Docker leaves them empty on other networks).
  const n = Object.values(c.networks ?? {}).find((a) => a.network === 'bridge');
  return {
    Bridge: '',
    SandboxID: '',
    // Its own network namespace while it runs, a path nsenter --net= and CNI plugins take ("" for container:<x>, as Docker's).
    SandboxKey: isRunning(c) && !(c.hostConfig.NetworkMode ?? '').startsWith('container:') ? `/proc/${c.pid}/ns/net` : '',
    Ports: portMap(c),
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: n ? n.hostIf : '',
    Gateway: n?.gateway ?? '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: n?.ip ?? '',
    IPPrefixLen: n?.prefix ?? 0,
    IPv6Gateway: '',
    MacAddress: n?.mac ?? '',
    Networks: networksOf(c),
  };
}

/** Docker's MountPoint shape: what the engine keeps for itself (Anonymous, CopyData, From) stays out. */
export function mountsOf(c: ContainerView): Record<string, unknown>[] {
  return (c.mounts ?? []).map((m) => ({
    Type: m.Type,
    ...(m.Type === 'volume' ? { Name: m.Name } : {}),
    Source: m.Source,
    Destination: m.Destination,
    ...(m.Type === 'volume' ? { Driver: m.Driver ?? 'local' } : {}),
    Mode: m.Mode,
    RW: m.RW,
    Propagation: m.Propagation,
  }));
}
