import { Type, type TSchema } from '@sinclair/typebox';
import {
  any, arrayOf, bool, EOF_RAW, check, duration, goBody, goStruct, int, int64, mapOf, params, qInt, qMany, qStr, query, set, str, strings, strMap, strSlice, uint, uint16, uint64, zeroOrAtLeast,
} from './go-json';

/** Container shapes (API 1.41, the struct names dockerd 20.10 reports). */

const NAME = '^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$';
const CONTAINER_NAME = check(qStr(), { pattern: `^$|${NAME}` }, 'Invalid container name ({value}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed');

export const healthConfig = goStruct('HealthConfig', 'container.HealthConfig', {
  Test: strings(),
  Interval: duration(),
  Timeout: duration(),
  StartPeriod: duration(),
  StartInterval: duration(),
  Retries: int(),
});

/** container.Config's fields, as they sit at the top of a create or commit body. */
const configFields: Record<string, TSchema> = {
  Hostname: str(),
  Domainname: str(),
  User: str(),
  AttachStdin: bool(),
  AttachStdout: bool(),
  AttachStderr: bool(),
  ExposedPorts: set('nat.PortSet'),
  Tty: bool(),
  OpenStdin: bool(),
  StdinOnce: bool(),
  Env: strings(),
  Cmd: strSlice(),
  Healthcheck: healthConfig,
  ArgsEscaped: bool(),
  Image: str(),
  Volumes: set('map[string]struct {}'),
  WorkingDir: str(),
  Entrypoint: strSlice(),
  NetworkDisabled: bool(),
  MacAddress: str(),
  OnBuild: strings(),
  Labels: strMap(),
  StopSignal: str(),
  StopTimeout: int(),
  Shell: strSlice(),
};

const restartPolicy = goStruct('RestartPolicy', 'container.RestartPolicy', {
  Name: check(
    str(),
    { enum: ['', 'no', 'always', 'unless-stopped', 'on-failure'] },
    "invalid restart policy: unknown policy '{value}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'",
  ),
  MaximumRetryCount: int(),
});

const weightDevice = goStruct('WeightDevice', 'blkiodev.WeightDevice', { Path: str(), Weight: uint16() });
const throttleDevice = goStruct('ThrottleDevice', 'blkiodev.ThrottleDevice', { Path: str(), Rate: uint64() });

/** container.Resources: embedded in HostConfig, and the body of update (as UpdateConfig). */
const resourceFields: Record<string, TSchema> = {
  CpuShares: check(int64(), { minimum: 0 }, 'shares: invalid argument'),
  Memory: check(int64(), zeroOrAtLeast(6 * 1024 * 1024), 'Minimum memory limit allowed is 6MB'),
  NanoCpus: int64(),
  CgroupParent: str(),
  BlkioWeight: uint16(),
  BlkioWeightDevice: arrayOf('[]*blkiodev.WeightDevice', weightDevice),
  BlkioDeviceReadBps: arrayOf('[]*blkiodev.ThrottleDevice', throttleDevice),
  BlkioDeviceWriteBps: arrayOf('[]*blkiodev.ThrottleDevice', throttleDevice),
  BlkioDeviceReadIOps: arrayOf('[]*blkiodev.ThrottleDevice', throttleDevice),
  BlkioDeviceWriteIOps: arrayOf('[]*blkiodev.ThrottleDevice', throttleDevice),
  CpuPeriod: check(
    int64(),
    { not: { type: 'integer', not: { const: 0 }, anyOf: [{ exclusiveMaximum: 1000 }, { exclusiveMinimum: 1000000 }] } },
    'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)',
  ),
  CpuQuota: check(int64(), { not: { type: 'integer', exclusiveMinimum: 0, exclusiveMaximum: 1000 } }, 'CPU cfs quota can not be less than 1ms (i.e. 1000)'),
  CpuRealtimePeriod: int64(),
  CpuRealtimeRuntime: int64(),
  CpusetCpus: str(),
  CpusetMems: str(),
  Devices: arrayOf('[]container.DeviceMapping', goStruct('DeviceMapping', 'container.DeviceMapping', { PathOnHost: str(), PathInContainer: str(), CgroupPermissions: str() })),
  DeviceCgroupRules: strings(),
  DeviceRequests: arrayOf(
    '[]container.DeviceRequest',
    goStruct('DeviceRequest', 'container.DeviceRequest', { Driver: str(), Count: int(), DeviceIDs: strings(), Capabilities: arrayOf('[][]string', strings()), Options: strMap() }),
  ),
  KernelMemory: int64(),
  KernelMemoryTCP: int64(),
  MemoryReservation: int64(),
  MemorySwap: int64(),
  MemorySwappiness: int64(),
  OomKillDisable: bool(),
  PidsLimit: int64(),
  Ulimits: arrayOf('[]*units.Ulimit', goStruct('Ulimit', 'units.Ulimit', { Name: str(), Hard: int64(), Soft: int64() })),
  CpuCount: int64(),
  CpuPercent: int64(),
  IOMaximumIOps: uint64(),
  IOMaximumBandwidth: uint64(),
};

const portBinding = goStruct('PortBinding', 'nat.PortBinding', { HostIp: str(), HostPort: str() });

const mount = goStruct('Mount', 'mount.Mount', {
  Type: check(str(), { enum: ['bind', 'volume', 'tmpfs', 'npipe'] }, 'invalid mount config for type "{value}": mount type unknown'),
  Source: str(),
  Target: str(),
  ReadOnly: bool(),
  Consistency: str(),
  BindOptions: goStruct('BindOptions', 'mount.BindOptions', { Propagation: str(), NonRecursive: bool() }),
  VolumeOptions: goStruct('VolumeOptions', 'mount.VolumeOptions', {
    NoCopy: bool(),
    Labels: strMap(),
    Subpath: str(),
    DriverConfig: goStruct('Driver', 'mount.Driver', { Name: str(), Options: strMap() }),
  }),
  TmpfsOptions: goStruct('TmpfsOptions', 'mount.TmpfsOptions', { SizeBytes: int64(), Mode: uint(), Options: arrayOf('[][]string', strings()) }),
});

export const hostConfig = goStruct('HostConfig', 'container.HostConfig', {
  Binds: strings(),
  ContainerIDFile: str(),
  LogConfig: goStruct('LogConfig', 'container.LogConfig', { Type: str(), Config: strMap() }),
  NetworkMode: str(),
  PortBindings: mapOf('nat.PortMap', arrayOf('[]nat.PortBinding', portBinding)),
  RestartPolicy: restartPolicy,
  AutoRemove: bool(),
  VolumeDriver: str(),
  VolumesFrom: strings(),
  CapAdd: strSlice(),
  CapDrop: strSlice(),
  CgroupnsMode: str(),
  Dns: strings(),
  DnsOptions: strings(),
  DnsSearch: strings(),
  ExtraHosts: strings(),
  GroupAdd: strings(),
  IpcMode: str(),
  Cgroup: str(),
  Links: strings(),
  OomScoreAdj: check(int(), { minimum: -1000, maximum: 1000 }, 'Invalid value {value}, range for oom score adj is [-1000, 1000]'),
  PidMode: str(),
  Privileged: bool(),
  PublishAllPorts: bool(),
  ReadonlyRootfs: bool(),
  SecurityOpt: strings(),
  StorageOpt: strMap(),
  Tmpfs: { ...strMap(), dockerCheck: 'tmpfs' },
  UTSMode: str(),
  UsernsMode: str(),
  ShmSize: check(int64(), { minimum: 0 }, 'SHM size can not be less than 0'),
  Sysctls: strMap(),
  Runtime: str(),
  ConsoleSize: arrayOf('[2]uint', uint()),
  Isolation: str(),
  ...resourceFields,
  Mounts: arrayOf('[]mount.Mount', mount),
  MaskedPaths: strings(),
  ReadonlyPaths: strings(),
  Init: bool(),
  // API 1.43: passed on to the runtime as the spec's annotations.
  Annotations: strMap(),
});

export const endpointSettings = (struct: string) =>
  goStruct(struct, 'network.EndpointSettings', {
    IPAMConfig: goStruct('EndpointIPAMConfig', 'network.EndpointIPAMConfig', { IPv4Address: str(), IPv6Address: str(), LinkLocalIPs: strings() }),
    Links: strings(),
    Aliases: strings(),
    NetworkID: str(),
    EndpointID: str(),
    Gateway: str(),
    IPAddress: str(),
    IPPrefixLen: int(),
    IPv6Gateway: str(),
    GlobalIPv6Address: str(),
    GlobalIPv6PrefixLen: int(),
    MacAddress: str(),
    DriverOpts: strMap(),
  });

export const containerCreateBody = goBody(
  'ContainerConfigWrapper',
  'runconfig.ContainerConfigWrapper',
  {
    ...configFields,
    // Checked at create only (commit and exec take any entry).
    Env: { ...strings(), dockerCheck: 'env' },
    HostConfig: hostConfig,
    NetworkingConfig: goStruct('NetworkingConfig', 'network.NetworkingConfig', {
      EndpointsConfig: mapOf('map[string]*network.EndpointSettings', endpointSettings('EndpointSettings')),
    }),
  },
  EOF_RAW,
);

/** The body of copy (API < 1.24): types.CopyConfig. */
export const copyBody = goBody('CopyConfig', 'types.CopyConfig', { Resource: str() }, EOF_RAW);

/** The body of start before API 1.24: a host config (Docker 0.7's clients sent one). */
export const startBody = goBody('HostConfig', 'container.HostConfig', (hostConfig as unknown as { properties: Record<string, never> }).properties);

export const containerCreateQuery = query({ name: CONTAINER_NAME, platform: qStr({ dockerCheck: 'platform' }) });

/** The body of commit: a container.Config, decoded as dockerd 20.10 does through the create wrapper. */
export const commitBody = goBody('ContainerConfigWrapper', 'runconfig.ContainerConfigWrapper', configFields);
export const commitQuery = query({ container: qStr(), repo: qStr(), tag: qStr(), comment: qStr(), author: qStr(), pause: qStr(), changes: qMany() });

export const updateBody = goBody('UpdateConfig', 'container.UpdateConfig', { ...resourceFields, RestartPolicy: restartPolicy }, EOF_RAW);

export const idParams = params({ id: Type.String() });
export const stopQuery = query({ t: qInt(), signal: qStr() });
export const killQuery = query({ signal: qStr() });
export const renameQuery = query({ name: check(qStr(), { minLength: 1 }, 'Neither old nor new names may be empty') });
export const resizeQuery = query({ h: qInt(), w: qInt() });
export const removeQuery = query({ force: qStr(), v: qStr(), link: qStr() });
export const listQuery = query({ all: qStr(), limit: qInt(), size: qStr(), filters: qStr() });
export const waitQuery = query({
  condition: check(qStr(), { enum: ['', 'not-running', 'next-exit', 'removed'] }, 'invalid condition: "{value}"'),
});
export const logsQuery = query({
  follow: qStr(), stdout: qStr(), stderr: qStr(), since: qStr(), until: qStr(), timestamps: qStr(), details: qStr(),
  tail: qStr(),
});
export const attachQuery = query({ stream: qStr(), stdin: qStr(), stdout: qStr(), stderr: qStr(), logs: qStr(), detachKeys: qStr() });
export const archiveQuery = query({ path: qStr(), noOverwriteDirNonDir: qStr(), copyUIDGID: qStr() });
export const pruneQuery = query({ filters: qStr() });
export const statsQuery = query({ stream: qStr(), 'one-shot': qStr() });
export const topQuery = query({ ps_args: qStr() });
