import { isRunning, type ContainerView } from '../../domain/container';
import { humanDuration } from '../../domain/time';

/** Docker's State.Status for a view status. */
export function dockerState(c: ContainerView): string {
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
  switch (c.status) {
    case 'running':
      return `Up ${humanDuration(ago(c.startedAt))}`;
    case 'paused':
      return `Up ${humanDuration(ago(c.startedAt))} (Paused)`;
    case 'exited':
      return `Exited (${c.exitCode}) ${humanDuration(ago(c.finishedAt))} ago`;
    case 'removing':
      return 'Removal In Progress';
    default:
      return 'Created';
  }
}

function quoteArg(a: string): string {
  return /[\s"'\\]/.test(a) || a === '' ? JSON.stringify(a) : a;
}

export function toSummary(c: ContainerView, sizeRw?: number): Record<string, unknown> {
  return {
    Id: c.id,
    Names: [`/${c.name}`],
    Image: c.image,
    ImageID: c.imageId,
    Command: [c.path, ...c.args].map(quoteArg).join(' '),
    Created: Math.floor(Date.parse(c.created) / 1000),
    Ports: [],
    Labels: c.config.Labels ?? {},
    State: dockerState(c),
    Status: statusText(c),
    HostConfig: { NetworkMode: c.hostConfig.NetworkMode },
    NetworkSettings: { Networks: {} },
    Mounts: mountsOf(c),
    ...(sizeRw !== undefined ? { SizeRw: sizeRw, SizeRootFs: 0 } : {}),
  };
}

export function toInspect(c: ContainerView, paths: { logPath: string; mergedDir: string; upperDir: string; lowerDirs: string[] }): Record<string, unknown> {
  return {
    Id: c.id,
    Created: c.created,
    Path: c.path,
    Args: c.args,
    State: {
      Status: dockerState(c),
      Running: isRunning(c),
      Paused: c.status === 'paused',
      Restarting: false,
      OOMKilled: c.oomKilled,
      Dead: false,
      Pid: isRunning(c) ? c.pid : 0,
      ExitCode: c.exitCode,
      Error: c.error,
      StartedAt: c.startedAt,
      FinishedAt: c.finishedAt,
    },
    Image: c.imageId,
    ResolvConfPath: '',
    HostnamePath: '',
    HostsPath: '',
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
      LogConfig: { Type: 'k8s-file', Config: {} },
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
      IpcMode: 'private',
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
      MaskedPaths: [],
      ReadonlyPaths: [],
      ...c.hostConfig,
    },
    GraphDriver: {
      Name: 'overlay2',
      Data: { LowerDir: paths.lowerDirs.join(':'), MergedDir: paths.mergedDir, UpperDir: paths.upperDir, WorkDir: paths.upperDir.replace(/upper$/, 'work') },
    },
    Mounts: mountsOf(c),
    Config: c.config,
    NetworkSettings: {
      Bridge: '',
      SandboxID: '',
      SandboxKey: '',
      Ports: {},
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      EndpointID: '',
      Gateway: '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      IPAddress: '',
      IPPrefixLen: 0,
      IPv6Gateway: '',
      MacAddress: '',
      Networks: {},
    },
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
