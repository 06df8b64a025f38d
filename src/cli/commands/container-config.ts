/** The flags `create` and `run` share, and the create body they make (as the docker CLI sends it). */
import { InvalidArgumentError, type Command } from 'commander';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ClientError, type Client } from '../../client/client';
import { configDir, parseNormalizedNamed, refName, registryAuthFor } from '../docker-config';
import { discard, displayJsonMessages, type ProgressOut } from '../json-progress';
import { CidFile } from '../cidfile';
import { collect, UsageError, type IO } from '../command';
import { validateReference, withDefaultTag } from '../reference';
import { parseMountFlag, splitVolumeFlags } from '../mount-flag';
import { memSwapBytes, parseCpus, ramInBytes } from '../byte-size';
import { readEnvFile } from '../env-file';
import { parseGoDuration } from '../../domain/go-duration';
import { endpointSettings, isValidMac, validateDNSSearch, validateExtraHost, validateIPAddress, validateLink } from '../network-flags';
import { parsePortSpecs } from '../port-spec';
import { parseUlimit, ulimitList } from '../ulimit';

export interface ContainerConfigOptions {
  image: string;
  command: string[];
  name?: string;
  env: string[];
  envFile: string[];
  workdir?: string;
  user?: string;
  entrypoint?: string;
  hostname?: string;
  domainname?: string;
  tty: boolean;
  interactive: boolean;
  attach: string[];
  label: string[];
  rm: boolean;
  stopSignal?: string;
  stopTimeout?: number;
  init?: boolean;
  privileged: boolean;
  readOnly: boolean;
  network?: string;
  cidfile?: string;
  volume: string[];
  mount: string[];
  volumesFrom: string[];
  memory: number;
  memorySwap: number;
  memoryReservation: number;
  cpuShares: number;
  cpus: number;
  cpuPeriod: number;
  cpuQuota: number;
  cpusetCpus: string;
  cpusetMems: string;
  pidsLimit: number;
  ulimit: string[];
  capAdd: string[];
  capDrop: string[];
  securityOpt: string[];
  device: string[];
  tmpfs: string[];
  restart: string;
  health: { cmd: string; interval: number; timeout: number; retries: number; startPeriod: number; startInterval: number; none: boolean };
  publish: string[];
  publishAll: boolean;
  expose: string[];
  addHost: string[];
  dns: string[];
  dnsSearch: string[];
  dnsOption: string[];
  networkAlias: string[];
  ip: string;
  link: string[];
  macAddress: string;
  logDriver: string;
  logOpt: string[];
  shmSize: number;
  groupAdd: string[];
  oomKillDisable: boolean;
  pull: string;
  quiet: boolean;
  /** --platform (also for the implicit pull). */
  platform?: string;
  /** The global --config: where config.json (registry credentials) is. */
  config?: string;
}

/** A problem with the flags' values found once they are all read: docker prints it with "--help" and exits 125. */
export class ConfigError extends Error {}

/** A flag value parser: a failure becomes docker's "invalid argument ... for ... flag: ..." (exit 125). */
export function flag<T>(parse: (v: string) => T): (v: string) => T {
  return (v) => {
    try {
      return parse(v);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

/** A repeatable flag whose values are checked (and maybe rewritten) one by one. */
function list(check: (v: string) => string = (v) => v): (v: string, acc: string[]) => string[] {
  const p = flag(check);
  return (v, acc) => [...acc, p(v)];
}

export function int64(v: string): number {
  if (!/^[-+]?\d+$/.test(v)) throw new Error(`strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}

function validateAttach(v: string): string {
  const s = v.toLowerCase();
  if (s === 'stdin' || s === 'stdout' || s === 'stderr') return s;
  throw new Error('valid streams are STDIN, STDOUT and STDERR');
}

function validateEnv(v: string): string {
  if (v.startsWith('=') || v === '') throw new Error(`invalid environment variable: ${v}`);
  return v;
}

function validateLabel(v: string): string {
  const key = v.split('=')[0].replace(/^[ \t\n\v\f\r]+/, '');
  if (key === '') throw new Error(`invalid label '${v}': empty name`);
  if (/[ \t\n\v\f\r]/.test(key)) throw new Error(`label '${key}' contains whitespaces`);
  return v;
}

/** The resource flags run, create and update share. */
export function declareResourceFlags(cmd: Command): Command {
  return cmd
    .option('--cpu-period <int>', 'Limit CPU CFS (Completely Fair Scheduler) period', flag(int64))
    .option('--cpu-quota <int>', 'Limit CPU CFS (Completely Fair Scheduler) quota', flag(int64))
    .option('-c, --cpu-shares <int>', 'CPU shares (relative weight)', flag(int64))
    .option('--cpus <decimal>', 'Number of CPUs', flag(parseCpus))
    .option('--cpuset-cpus <string>', 'CPUs in which to allow execution (0-3, 0,1)')
    .option('--cpuset-mems <string>', 'MEMs in which to allow execution (0-3, 0,1)')
    .option('-m, --memory <bytes>', 'Memory limit', flag(ramInBytes))
    .option('--memory-reservation <bytes>', 'Memory soft limit', flag(ramInBytes))
    .option('--memory-swap <bytes>', "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", flag(memSwapBytes))
    .option('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)', flag(int64));
}

export function declareContainerConfig(cmd: Command): Command {
  return declareResourceFlags(cmd)
    .helpOption('--help', 'display help for command')
    .argument('[image]', 'IMAGE')
    .argument('[command...]', 'COMMAND [ARG...]')
    .option('--add-host <list>', 'Add a custom host-to-IP mapping (host:ip)', list(validateExtraHost), [] as string[])
    .option('-a, --attach <list>', 'Attach to STDIN, STDOUT or STDERR', list(validateAttach), [] as string[])
    .option('--cap-add <list>', 'Add Linux capabilities', collect, [] as string[])
    .option('--cap-drop <list>', 'Drop Linux capabilities', collect, [] as string[])
    .option('--cidfile <string>', 'Write the container ID to the file')
    .option('--device <list>', 'Add a host device to the container', collect, [] as string[])
    .option('--dns <list>', 'Set custom DNS servers', list(validateIPAddress), [] as string[])
    .option('--dns-opt <list>', 'Set DNS options', collect, [] as string[])
    .option('--dns-option <list>', 'Set DNS options', collect, [] as string[])
    .option('--dns-search <list>', 'Set custom DNS search domains', list(validateDNSSearch), [] as string[])
    .option('--domainname <string>', 'Container NIS domain name')
    .option('-e, --env <list>', 'Set environment variables', list(validateEnv), [] as string[])
    .option('--entrypoint <string>', 'Overwrite the default ENTRYPOINT of the image')
    .option('--env-file <list>', 'Read in a file of environment variables', collect, [] as string[])
    .option('--expose <list>', 'Expose a port or a range of ports', collect, [] as string[])
    .option('--group-add <list>', 'Add additional groups to join', collect, [] as string[])
    .option('--health-cmd <string>', 'Command to run to check health')
    .option('--health-interval <duration>', 'Time between running the check (ms|s|m|h) (default 0s)', flag(parseGoDuration))
    .option('--health-retries <int>', 'Consecutive failures needed to report unhealthy', flag(int64))
    .option('--health-start-interval <duration>', 'Time between running the check during the start period (ms|s|m|h) (default 0s)', flag(parseGoDuration))
    .option('--health-start-period <duration>', 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)', flag(parseGoDuration))
    .option('--health-timeout <duration>', 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)', flag(parseGoDuration))
    .option('-h, --hostname <string>', 'Container host name')
    .option('--init', 'Run an init inside the container that forwards signals and reaps processes')
    .option('-i, --interactive', 'Keep STDIN open even if not attached', false)
    .option('--ip <string>', 'IPv4 address (e.g., 172.30.100.104)')
    .option('-l, --label <list>', 'Set meta data on a container', list(validateLabel), [] as string[])
    .option('--link <list>', 'Add link to another container', list(validateLink), [] as string[])
    .option('--log-driver <string>', 'Logging driver for the container')
    .option('--log-opt <list>', 'Log driver options', collect, [] as string[])
    .option('--mac-address <string>', 'Container MAC address (e.g., 92:d0:c6:0a:29:33)')
    .option('--mount <mount>', 'Attach a filesystem mount to the container', collect, [] as string[])
    .option('--name <string>', 'Assign a name to the container')
    .option('--network <network>', 'Connect a container to a network')
    .option('--network-alias <list>', 'Add network-scoped alias for the container', collect, [] as string[])
    .option('--no-healthcheck', 'Disable any container-specified HEALTHCHECK')
    .option('--oom-kill-disable', 'Disable OOM Killer', false)
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .option('--privileged', 'Give extended privileges to this container', false)
    .option('-p, --publish <list>', "Publish a container's port(s) to the host", collect, [] as string[])
    .option('-P, --publish-all', 'Publish all exposed ports to random ports', false)
    .option('--pull <string>', 'Pull image before running ("always", "missing", "never")', 'missing')
    .option('-q, --quiet', 'Suppress the pull output', false)
    .option('--read-only', "Mount the container's root filesystem as read only", false)
    .option('--restart <string>', 'Restart policy to apply when a container exits', 'no')
    .option('--rm', 'Automatically remove the container and its associated anonymous volumes when it exits', false)
    .option('--security-opt <list>', 'Security Options', collect, [] as string[])
    .option('--shm-size <bytes>', 'Size of /dev/shm', flag(ramInBytes))
    .option('--stop-signal <string>', 'Signal to stop the container')
    .option('--stop-timeout <int>', 'Timeout (in seconds) to stop a container', (v: string) => {
      if (!/^-?\d+$/.test(v)) throw new Error(`strconv.ParseInt: parsing "${v}": invalid syntax`);
      return Number(v);
    })
    .option('--tmpfs <list>', 'Mount a tmpfs directory', collect, [] as string[])
    .option('-t, --tty', 'Allocate a pseudo-TTY', false)
    .option('--ulimit <ulimit>', 'Ulimit options', list((v) => (parseUlimit(v), v)), [] as string[])
    .option('-u, --user <string>', 'Username or UID (format: <name|uid>[:<group|gid>])')
    .option('-v, --volume <list>', 'Bind mount a volume', collect, [] as string[])
    .option('--volumes-from <list>', 'Mount volumes from the specified container(s)', collect, [] as string[])
    .option('-w, --workdir <string>', 'Working directory inside the container');
}

export function containerConfigOptions(a: unknown[], f: Record<string, unknown>, name: string): ContainerConfigOptions {
  if (a[0] === undefined) throw new UsageError(`'wharf ${name}' requires at least 1 argument`);
  const strs = (k: string) => (f[k] as string[] | undefined) ?? [];
  const num = (k: string) => (f[k] as number | undefined) ?? 0;
  const str = (k: string) => (f[k] as string | undefined) ?? '';
  return {
    image: a[0] as string,
    command: (a[1] as string[] | undefined) ?? [],
    name: f.name as string | undefined,
    env: strs('env'),
    envFile: strs('envFile'),
    workdir: f.workdir as string | undefined,
    user: f.user as string | undefined,
    entrypoint: f.entrypoint as string | undefined,
    hostname: f.hostname as string | undefined,
    domainname: f.domainname as string | undefined,
    tty: Boolean(f.tty),
    interactive: Boolean(f.interactive),
    attach: strs('attach'),
    label: strs('label'),
    rm: Boolean(f.rm),
    stopSignal: f.stopSignal as string | undefined,
    stopTimeout: f.stopTimeout as number | undefined,
    init: f.init as boolean | undefined,
    privileged: Boolean(f.privileged),
    readOnly: Boolean(f.readOnly),
    network: f.network as string | undefined,
    cidfile: f.cidfile as string | undefined,
    volume: strs('volume'),
    mount: strs('mount'),
    volumesFrom: strs('volumesFrom'),
    memory: num('memory'),
    memorySwap: num('memorySwap'),
    memoryReservation: num('memoryReservation'),
    cpuShares: num('cpuShares'),
    cpus: num('cpus'),
    cpuPeriod: num('cpuPeriod'),
    cpuQuota: num('cpuQuota'),
    cpusetCpus: str('cpusetCpus'),
    cpusetMems: str('cpusetMems'),
    pidsLimit: num('pidsLimit'),
    ulimit: strs('ulimit'),
    capAdd: strs('capAdd'),
    capDrop: strs('capDrop'),
    securityOpt: strs('securityOpt'),
    device: strs('device'),
    tmpfs: strs('tmpfs'),
    restart: f.restart === undefined ? 'no' : String(f.restart),
    health: {
      cmd: str('healthCmd'),
      interval: num('healthInterval'),
      timeout: num('healthTimeout'),
      retries: num('healthRetries'),
      startPeriod: num('healthStartPeriod'),
      startInterval: num('healthStartInterval'),
      none: f.healthcheck === false,
    },
    publish: strs('publish'),
    publishAll: Boolean(f.publishAll),
    expose: strs('expose'),
    addHost: strs('addHost'),
    dns: strs('dns'),
    dnsSearch: strs('dnsSearch'),
    dnsOption: [...strs('dnsOpt'), ...strs('dnsOption')],
    networkAlias: strs('networkAlias'),
    ip: str('ip'),
    link: strs('link'),
    macAddress: str('macAddress'),
    logDriver: str('logDriver'),
    logOpt: strs('logOpt'),
    shmSize: num('shmSize'),
    groupAdd: strs('groupAdd'),
    oomKillDisable: Boolean(f.oomKillDisable),
    pull: f.pull === undefined ? 'missing' : String(f.pull),
    quiet: Boolean(f.quiet),
    platform: (f.platform as string | undefined) || process.env.DOCKER_DEFAULT_PLATFORM || undefined,
    config: f.config as string | undefined,
  };
}

/** Env from --env-file then -e, as docker: -e FOO=bar as given, -e FOO from this environment (sent bare when unset). */
export function envList(vals: string[], env: NodeJS.ProcessEnv = process.env, files: string[] = []): string[] {
  const out: string[] = files.flatMap((f) => readEnvFile(f, env));
  for (const v of vals) {
    if (v.includes('=')) {
      if (v.startsWith('=')) throw new Error(`invalid environment variable: ${v}`);
      out.push(v);
    } else out.push(env[v] !== undefined ? `${v}=${env[v]}` : v);
  }
  return out;
}

export function labelMap(vals: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of vals) {
    const i = v.indexOf('=');
    if (i === 0) throw new Error(`invalid label format: "${v}"`);
    if (i < 0) out[v] = '';
    else out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

/** --pull: one of always, missing, never (checked before anything else, as docker does). */
export function validatePull(v: string): void {
  if (!['always', 'missing', 'never', ''].includes(v)) throw new ConfigError(`invalid pull option: '${v}': must be one of "always", "missing" or "never"`);
}

/** container.NetworkMode.IsUserDefined. */
function isUserDefined(mode: string): boolean {
  return !['default', 'bridge', 'host', 'none'].includes(mode) && !mode.startsWith('container:');
}

/** The NetworkingConfig.EndpointsConfig the docker CLI sends for --network, --network-alias, --ip, --link, --mac-address. */
function endpointsConfig(o: ContainerConfigOptions): Record<string, unknown> {
  const target = o.network ?? 'default';
  if (target.trim() === '') throw new ConfigError('no name set for network');
  const userDefined = isUserDefined(target);
  if (!userDefined && o.networkAlias.length) throw new ConfigError('network-scoped aliases are only supported for user-defined networks');
  const links = userDefined && o.link.length ? o.link : null;
  if (o.macAddress && !isValidMac(o.macAddress)) throw new ConfigError(`${o.macAddress} is not a valid mac address`);
  const ep = endpointSettings({
    IPAMConfig: o.ip ? { IPv4Address: o.ip } : null,
    Links: links,
    Aliases: o.networkAlias.length ? o.networkAlias : null,
    MacAddress: o.macAddress,
    DriverOpts: null,
    GwPriority: 0,
  });
  // One plain --network without endpoint options: docker leaves the endpoint to the daemon.
  if (o.network !== undefined && !ep.IPAMConfig && !ep.Links && !ep.Aliases && !ep.MacAddress) return {};
  return { [target]: ep };
}

/** --security-opt values checked as docker does; seccomp=FILE sends the file's (compacted) profile. */
function securityOpts(vals: string[]): { opts: string[] | null; masked: string[] | null; readonly: string[] | null } {
  const out: string[] = [];
  let masked: string[] | null = null;
  let readonly: string[] | null = null;
  for (const opt of vals) {
    let sep = opt.indexOf('=');
    if (sep < 0 && opt !== 'no-new-privileges') sep = opt.indexOf(':');
    const k = sep < 0 ? opt : opt.slice(0, sep);
    const v = sep < 0 ? '' : opt.slice(sep + 1);
    if ((sep < 0 || v === '') && k !== 'no-new-privileges') throw new ConfigError(`Invalid --security-opt: ${JSON.stringify(opt)}`);
    if (opt === 'systempaths=unconfined') {
      masked = [];
      readonly = [];
      continue;
    }
    if (k === 'seccomp' && v !== 'builtin' && v !== 'unconfined') {
      let text: string;
      try {
        text = readFileSync(v, 'utf8');
      } catch (e) {
        throw new ConfigError(`opening seccomp profile (${v}) failed: open ${v}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
      }
      try {
        out.push(`seccomp=${JSON.stringify(JSON.parse(text))}`);
      } catch (e) {
        throw new ConfigError(`compacting json for seccomp profile (${v}) failed: ${(e as Error).message}`);
      }
      continue;
    }
    out.push(opt);
  }
  return { opts: vals.length ? out : null, masked, readonly };
}

function validDeviceMode(mode: string): boolean {
  if (mode === '') return false;
  const seen = new Set<string>();
  for (const c of mode) {
    if (!'rwm'.includes(c) || seen.has(c)) return false;
    seen.add(c);
  }
  return true;
}

/** --device host[:container][:perms] → a DeviceMapping (validateLinuxPath then parseLinuxDevice). */
function deviceMapping(device: string): { PathOnHost: string; PathInContainer: string; CgroupPermissions: string } {
  const split = device.split(':');
  if (split.length > 3 || split[0] === '') throw new ConfigError(`bad format for path: ${device}`);
  let containerPath: string;
  if (split.length === 1) containerPath = split[0];
  else if (split.length === 2) containerPath = validDeviceMode(split[1]) ? split[0] : split[1];
  else {
    containerPath = split[1];
    if (!validDeviceMode(split[2])) throw new ConfigError(`bad mode specified: ${split[2]}`);
  }
  if (!containerPath.startsWith('/')) throw new ConfigError(`${containerPath} is not an absolute path`);
  const clean = (p: string) => path.posix.normalize(p).replace(/(.)\/$/, '$1');
  let src = split[0];
  let dst = '';
  let perms = 'rwm';
  if (split.length === 1 || (split.length === 2 && validDeviceMode(split[1]))) src = clean(split[0]);
  if (split.length >= 2) {
    if (split.length === 3) perms = split[2];
    if (validDeviceMode(split[1])) perms = split[1];
    else dst = split.length === 2 ? clean(split[1]) : split[1];
  }
  return { PathOnHost: src, PathInContainer: dst || src, CgroupPermissions: perms };
}

/** opts.ParseRestartPolicy. */
export function restartPolicy(policy: string): { Name: string; MaximumRetryCount: number } {
  if (policy === '') return { Name: '', MaximumRetryCount: 0 };
  const i = policy.indexOf(':');
  const k = i < 0 ? policy : policy.slice(0, i);
  const v = i < 0 ? '' : policy.slice(i + 1);
  if (i >= 0 && k === '') throw new ConfigError('invalid restart policy format: no policy provided before colon');
  let count = 0;
  if (v !== '') {
    if (!/^[+-]?\d+$/.test(v)) throw new ConfigError('invalid restart policy format: maximum retry count must be an integer');
    count = Number(v);
  }
  return { Name: k, MaximumRetryCount: count };
}

function healthcheck(h: ContainerConfigOptions['health']): Record<string, unknown> | undefined {
  const have = h.cmd !== '' || h.interval !== 0 || h.timeout !== 0 || h.startPeriod !== 0 || h.retries !== 0 || h.startInterval !== 0;
  if (h.none) {
    if (have) throw new ConfigError('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!have) return undefined;
  for (const [v, n] of [
    [h.interval, 'interval'],
    [h.timeout, 'timeout'],
    [h.retries, 'retries'],
    [h.startPeriod, 'start-period'],
    [h.startInterval, 'start-interval'],
  ] as [number, string][]) {
    if (v < 0) throw new ConfigError(`--health-${n} cannot be negative`);
  }
  const out: Record<string, unknown> = {};
  if (h.cmd !== '') out.Test = ['CMD-SHELL', h.cmd];
  if (h.interval) out.Interval = h.interval;
  if (h.timeout) out.Timeout = h.timeout;
  if (h.startPeriod) out.StartPeriod = h.startPeriod;
  if (h.startInterval) out.StartInterval = h.startInterval;
  if (h.retries) out.Retries = h.retries;
  return out;
}

/** The docker client library's normalizeCapabilities: "net_admin" → "CAP_NET_ADMIN". */
function normalizeCaps(caps: string[]): string[] | null {
  if (!caps.length) return null;
  return caps.map((c) => {
    const u = c.trim().toUpperCase();
    return u === 'ALL' || u === 'RESET' || u.startsWith('CAP_') ? u : `CAP_${u}`;
  });
}

function kvMap(vals: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of vals) {
    const i = v.indexOf('=');
    out[i < 0 ? v : v.slice(0, i)] = i < 0 ? '' : v.slice(i + 1);
  }
  return out;
}

/**
 * The POST /containers/create body, field for field what the docker CLI sends (its parse()
 * in cli/command/container/opts.go); `detach` says whether the streams get attached.
 * Value problems found here are ConfigErrors.
 */
export function createBody(o: ContainerConfigOptions, detach: boolean): Record<string, unknown> {
  try {
    return buildBody(o, detach);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError((e as Error).message);
  }
}

function buildBody(o: ContainerConfigOptions, detach: boolean): Record<string, unknown> {
  let attachStdin = o.attach.includes('stdin') || o.interactive;
  let attachStdout = o.attach.includes('stdout') || o.attach.length === 0;
  let attachStderr = o.attach.includes('stderr') || o.attach.length === 0;
  let entrypoint: string[] | null = null;
  if (o.entrypoint !== undefined) entrypoint = o.entrypoint === '' ? [''] : [o.entrypoint];
  const vols = splitVolumeFlags(o.volume);
  const tmpfs: Record<string, string> = {};
  for (const t of o.tmpfs) {
    const i = t.indexOf(':');
    tmpfs[i < 0 ? t : t.slice(0, i)] = i < 0 ? '' : t.slice(i + 1);
  }
  const ports = parsePortSpecs(o.publish, o.expose);
  const devices = o.device.map(deviceMapping);
  const env = envList(o.env, process.env, o.envFile);
  const restart = restartPolicy(o.restart);
  if (o.logDriver === 'none' && o.logOpt.length) throw new ConfigError(`invalid logging opts for driver ${o.logDriver}`);
  const sec = securityOpts(o.securityOpt);
  const health = healthcheck(o.health);
  if (o.rm && restart.Name !== 'no' && restart.Name !== '') throw new ConfigError('conflicting options: cannot specify both --restart and --rm');
  const endpoints = endpointsConfig(o);
  let stdinOnce = o.interactive && attachStdin;
  if (detach) {
    attachStdin = attachStdout = attachStderr = stdinOnce = false;
  }
  return {
    Hostname: o.hostname ?? '',
    Domainname: o.domainname ?? '',
    User: o.user ?? '',
    AttachStdin: attachStdin,
    AttachStdout: attachStdout,
    AttachStderr: attachStderr,
    ...(Object.keys(ports.exposed).length ? { ExposedPorts: ports.exposed } : {}),
    Tty: o.tty,
    OpenStdin: o.interactive,
    StdinOnce: stdinOnce,
    Env: env.length ? env : null,
    Cmd: o.command.length ? o.command : null,
    ...(health ? { Healthcheck: health } : {}),
    Image: o.image,
    Volumes: vols.volumes,
    WorkingDir: o.workdir ?? '',
    Entrypoint: entrypoint,
    OnBuild: null,
    Labels: labelMap(o.label),
    ...(o.stopSignal ? { StopSignal: o.stopSignal } : {}),
    ...(o.stopTimeout !== undefined ? { StopTimeout: o.stopTimeout } : {}),
    HostConfig: {
      Binds: vols.binds.length ? vols.binds : null,
      ContainerIDFile: o.cidfile ?? '',
      LogConfig: { Type: o.logDriver, Config: kvMap(o.logOpt) },
      NetworkMode: o.network ?? 'default',
      PortBindings: ports.bindings,
      RestartPolicy: restart,
      AutoRemove: o.rm,
      VolumeDriver: '',
      VolumesFrom: o.volumesFrom.length ? o.volumesFrom : null,
      ConsoleSize: [0, 0],
      CapAdd: normalizeCaps(o.capAdd),
      CapDrop: normalizeCaps(o.capDrop),
      CgroupnsMode: '',
      Dns: o.dns,
      DnsOptions: o.dnsOption,
      DnsSearch: o.dnsSearch,
      ExtraHosts: o.addHost.length ? o.addHost : null,
      GroupAdd: o.groupAdd.length ? o.groupAdd : null,
      IpcMode: '',
      Cgroup: '',
      Links: o.link.length ? o.link : null,
      OomScoreAdj: 0,
      PidMode: '',
      Privileged: o.privileged,
      PublishAllPorts: o.publishAll,
      ReadonlyRootfs: o.readOnly,
      SecurityOpt: sec.opts,
      ...(Object.keys(tmpfs).length ? { Tmpfs: tmpfs } : {}),
      UTSMode: '',
      UsernsMode: '',
      ShmSize: o.shmSize,
      Isolation: '',
      CpuShares: o.cpuShares,
      Memory: o.memory,
      NanoCpus: o.cpus,
      CgroupParent: '',
      BlkioWeight: 0,
      BlkioWeightDevice: [],
      BlkioDeviceReadBps: [],
      BlkioDeviceWriteBps: [],
      BlkioDeviceReadIOps: [],
      BlkioDeviceWriteIOps: [],
      CpuPeriod: o.cpuPeriod,
      CpuQuota: o.cpuQuota,
      CpuRealtimePeriod: 0,
      CpuRealtimeRuntime: 0,
      CpusetCpus: o.cpusetCpus,
      CpusetMems: o.cpusetMems,
      Devices: devices,
      DeviceCgroupRules: null,
      DeviceRequests: null,
      MemoryReservation: o.memoryReservation,
      MemorySwap: o.memorySwap,
      MemorySwappiness: -1,
      OomKillDisable: o.oomKillDisable,
      PidsLimit: o.pidsLimit,
      Ulimits: ulimitList(o.ulimit),
      CpuCount: 0,
      CpuPercent: 0,
      IOMaximumIOps: 0,
      IOMaximumBandwidth: 0,
      ...(o.mount.length ? { Mounts: o.mount.map(parseMountFlag) } : {}),
      MaskedPaths: sec.masked,
      ReadonlyPaths: sec.readonly,
      ...(o.init !== undefined ? { Init: o.init } : {}),
    },
    NetworkingConfig: { EndpointsConfig: endpoints },
  };
}

/**
 * Create the container; when the image is missing, say so and try to pull it as docker does
 * ("Unable to find image 'x:latest' locally"), then create again.
 */
export async function createContainer(client: Client, o: ContainerConfigOptions, detach: boolean, io: IO): Promise<string> {
  validatePull(o.pull);
  const body = createBody(o, detach);
  validateReference(o.image);
  const cid = new CidFile(o.cidfile);
  try {
    const id = await createWithPull(client, o, body, io);
    cid.write(id);
    return id;
  } finally {
    cid.close();
  }
}

/** As docker's pullImage: progress on stderr (nothing with -q), credentials from config.json. */
async function pullImage(client: Client, o: ContainerConfigOptions, io: IO): Promise<void> {
  const ref = parseNormalizedNamed(withDefaultTag(o.image));
  const pull = await client.imagePull(refName(ref), ref.digest ?? ref.tag, {
    registryAuth: registryAuthFor(configDir(o.config), ref.domain),
    platform: o.platform,
  });
  await displayJsonMessages(pull, o.quiet ? discard : (io.stderr as ProgressOut));
}

async function createWithPull(client: Client, o: ContainerConfigOptions, body: Record<string, unknown>, io: IO): Promise<string> {
  let res;
  if (o.pull === 'always') await pullImage(client, o, io);
  try {
    res = await client.containerCreate(body, o.name);
  } catch (e) {
    if (!(e instanceof ClientError) || e.status !== 404 || !/^No such image/.test(e.message) || o.pull !== 'missing') throw e;
    io.stderr.write(`Unable to find image '${withDefaultTag(o.image)}' locally\n`);
    await pullImage(client, o, io);
    res = await client.containerCreate(body, o.name);
  }
  for (const w of res.Warnings ?? []) io.stderr.write(`WARNING: ${w}\n`);
  return res.Id;
}
