import { existsSync, mkdirSync, statSync } from 'node:fs';
import type { MountRequest } from '../domain/events';
import { isVolumeBind } from '../volumes/mount-points';
import { devicesCgroup, devNumbers, HostOptionError, resourceLimits, type CgroupSupport, type ResourceOptionsInput } from './resources';

export { HostOptionError } from './resources';

/** What Docker's HostConfig asks of the OCI spec: limits, privileges, mounts. Pure but for bind sources. */
export interface HostOptionsInput extends ResourceOptionsInput {
  Privileged?: boolean;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  SecurityOpt?: string[] | null;
  Ulimits?: { Name: string; Soft: number; Hard: number }[] | null;
  Binds?: string[] | null;
  Mounts?: MountRequest[] | null;
  Tmpfs?: Record<string, string> | null;
  Devices?: { PathOnHost: string; PathInContainer?: string; CgroupPermissions?: string }[] | null;
  Init?: boolean | null;
  OomScoreAdj?: number | null;
  CpuCount?: number | null;
  CpuPercent?: number | null;
  IOMaximumIOps?: number | null;
  IOMaximumBandwidth?: number | null;
  DeviceCgroupRules?: string[] | null;
  DeviceRequests?: { Driver?: string; Count?: number; DeviceIDs?: string[] | null; Capabilities?: string[][] | null }[] | null;
  VolumeDriver?: string | null;
  Cgroup?: string | null;
  StorageOpt?: Record<string, string> | null;
  UsernsMode?: string | null;
  Runtime?: string | null;
  Isolation?: string | null;
}

/** A host device node made in the container's /dev (linux.devices). */
export interface OciDevice {
  path: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
}

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export interface HostOptions {
  resources: Record<string, unknown>;
  capabilities: string[];
  privileged: boolean;
  noNewPrivileges: boolean;
  /** Apply the default seccomp filter (not with --privileged or seccomp=unconfined). */
  seccomp: boolean;
  rlimits: { type: string; hard: number; soft: number }[];
  mounts: OciMount[];
  devices: OciDevice[];
  /** Where the init process (--init) is, inside the container: it runs first, as pid 1. */
  init?: string;
  /** process.oomScoreAdj (the range is checked at the edge). */
  oomScoreAdj: number;
}

/** Docker's default capabilities of a container. */
export const DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** Every capability, in kernel number order (CAP_CHOWN = 0 ...). */
export const ALL_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW',
  'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD',
  'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** The capabilities the daemon itself may grant: its bounding set (CapBnd in /proc/self/status). */
export function parseBoundingCaps(status: string): string[] {
  const hex = /CapBnd:\s+([0-9a-f]+)/.exec(status)?.[1];
  if (!hex) return [...ALL_CAPS];
  const bits = BigInt(`0x${hex}`);
  return ALL_CAPS.filter((_, i) => (bits >> BigInt(i)) & 1n);
}

/** Docker's --ulimit names → OCI rlimit types. */
const RLIMITS: Record<string, string> = {
  core: 'RLIMIT_CORE', cpu: 'RLIMIT_CPU', data: 'RLIMIT_DATA', fsize: 'RLIMIT_FSIZE', locks: 'RLIMIT_LOCKS',
  memlock: 'RLIMIT_MEMLOCK', msgqueue: 'RLIMIT_MSGQUEUE', nice: 'RLIMIT_NICE', nofile: 'RLIMIT_NOFILE', nproc: 'RLIMIT_NPROC',
  rss: 'RLIMIT_RSS', rtprio: 'RLIMIT_RTPRIO', rttime: 'RLIMIT_RTTIME', sigpending: 'RLIMIT_SIGPENDING', stack: 'RLIMIT_STACK',
};

/** /proc/self/limits rows → hard limit per OCI type (Infinity for "unlimited"). */
const LIMIT_ROWS: Record<string, string> = {
  'Max cpu time': 'RLIMIT_CPU', 'Max file size': 'RLIMIT_FSIZE', 'Max data size': 'RLIMIT_DATA', 'Max stack size': 'RLIMIT_STACK',
  'Max core file size': 'RLIMIT_CORE', 'Max resident set': 'RLIMIT_RSS', 'Max processes': 'RLIMIT_NPROC',
  'Max open files': 'RLIMIT_NOFILE', 'Max locked memory': 'RLIMIT_MEMLOCK', 'Max file locks': 'RLIMIT_LOCKS',
  'Max pending signals': 'RLIMIT_SIGPENDING', 'Max msgqueue size': 'RLIMIT_MSGQUEUE', 'Max nice priority': 'RLIMIT_NICE',
  'Max realtime priority': 'RLIMIT_RTPRIO', 'Max realtime timeout': 'RLIMIT_RTTIME',
};

export function parseHostHardLimits(limits: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of limits.split('\n')) {
    const row = Object.keys(LIMIT_ROWS).find((k) => line.startsWith(k));
    if (!row) continue;
    const hard = line.slice(row.length).trim().split(/\s+/)[1];
    out[LIMIT_ROWS[row]] = hard === 'unlimited' ? Infinity : Number(hard);
  }
  return out;
}

const normCap = (c: string) => {
  const up = c.toUpperCase();
  return up === 'ALL' ? 'ALL' : up.startsWith('CAP_') ? up : `CAP_${up}`;
};

/** Check and translate; throws HostOptionError with Docker-like messages for bad values. */
export interface HostLimits extends CgroupSupport {
  /** Hard rlimits by OCI type. */
  hard: Record<string, number>;
  /** Capabilities the daemon holds (no container can get more). */
  caps: string[];
  /** A static init (tini) for --init, if the host has one. */
  initPath?: string;
}

/** Where --init's binary is mounted, as Docker does. */
export const INIT_IN_CONTAINER = '/sbin/docker-init';

export function hostOptions(h0: HostOptionsInput, host: HostLimits, opts: { createBindSources: boolean } = { createBindSources: true }): HostOptions {
  const h = withZeroStructs(h0);
  const hostHard = host.hard;
  const privileged = !!h.Privileged;
  // Capabilities: the default set, plus --cap-add, minus --cap-drop ("ALL" in either).
  const add = (h.CapAdd ?? []).map(normCap);
  const drop = (h.CapDrop ?? []).map(normCap);
  for (const c of [...add, ...drop]) {
    if (c !== 'ALL' && !ALL_CAPS.includes(c)) throw new HostOptionError(`unknown capability: "${c}"`);
  }
  for (const c of add) {
    if (c !== 'ALL' && !host.caps.includes(c)) throw new HostOptionError(`capability ${c} is not available to the daemon on this host`);
  }
  // --privileged and "ALL" mean all the daemon has (here, for instance, no CAP_SYS_RESOURCE).
  let caps = privileged || add.includes('ALL') ? [...host.caps] : [...DEFAULT_CAPS, ...add.filter((c) => !DEFAULT_CAPS.includes(c))];
  if (!privileged) caps = drop.includes('ALL') ? caps.filter((c) => add.includes(c)) : caps.filter((c) => !drop.includes(c));

  const noNewPrivileges = (h.SecurityOpt ?? []).some((o) => /^no-new-privileges(?:[:=]true)?$/.test(o));
  for (const o of h.SecurityOpt ?? []) {
    if (!/^(no-new-privileges([:=](true|false))?|seccomp[:=]unconfined|apparmor[:=]unconfined|label[:=]disable)$/.test(o)) {
      throw new HostOptionError(`invalid --security-opt: ${JSON.stringify(o)}`);
    }
  }

  const resources = resourceLimits(h, host);
  refuseUnsupported(h);
  resources.devices = devicesCgroup(privileged, h.DeviceCgroupRules ?? []);

  // rlimits: never above the host's hard limit (no CAP_SYS_RESOURCE to raise it).
  const rlimits = new Map<string, { type: string; hard: number; soft: number }>();
  const nofileHard = hostHard.RLIMIT_NOFILE ?? 1048576;
  rlimits.set('RLIMIT_NOFILE', { type: 'RLIMIT_NOFILE', hard: Math.min(1048576, nofileHard), soft: Math.min(1048576, nofileHard) });
  for (const u of h.Ulimits ?? []) {
    const type = RLIMITS[u.Name];
    if (!type) throw new HostOptionError(`invalid ulimit type: ${u.Name ?? ''}`);
    if (u.Soft > u.Hard) throw new HostOptionError(`ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
    const max = hostHard[type] ?? Infinity;
    if (u.Hard > max) {
      throw new HostOptionError(`ulimit ${u.Name}: hard limit ${u.Hard} is above the host's hard limit ${max}; the daemon cannot raise it (no CAP_SYS_RESOURCE)`);
    }
    rlimits.set(type, { type, hard: u.Hard, soft: u.Soft });
  }

  const mounts: OciMount[] = [];
  for (const b of h.Binds ?? []) {
    if (isVolumeBind(b)) continue; // a named or anonymous volume: engine/containers/container-volumes.ts mounts it
    const parts = b.split(':');
    if (parts.length < 2 || parts.length > 3 || !parts[1].startsWith('/')) throw new HostOptionError(`invalid volume specification: '${b}'`);
    const [src, dst, mode = ''] = parts;
    const flags = mode.split(',').filter(Boolean);
    if (flags.some((f) => !['ro', 'rw', 'z', 'Z', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'nocopy'].includes(f))) {
      throw new HostOptionError(`invalid mode: ${mode}`);
    }
    // -v creates a missing host directory, as Docker does.
    if (!existsSync(src) && opts.createBindSources) mkdirSync(src, { recursive: true });
    mounts.push({ destination: dst, type: 'bind', source: src, options: ['rbind', flags.includes('ro') ? 'ro' : 'rw'] });
  }
  for (const m of h.Mounts ?? []) {
    if (!m.Target?.startsWith('/')) throw new HostOptionError(`invalid mount config: mount path must be absolute`);
    if (m.Type === 'bind') {
      if (!m.Source || !existsSync(m.Source)) throw new HostOptionError(`invalid mount config for type "bind": bind source path does not exist: ${m.Source ?? ''}`);
      // BindOptions.NonRecursive: the source alone, not the mounts under it.
      mounts.push({ destination: m.Target, type: 'bind', source: m.Source, options: [m.BindOptions?.NonRecursive ? 'bind' : 'rbind', m.ReadOnly ? 'ro' : 'rw'] });
    } else if (m.Type === 'tmpfs') {
      const o = ['nosuid', 'nodev', m.ReadOnly ? 'ro' : 'rw'];
      if (m.TmpfsOptions?.SizeBytes) o.push(`size=${m.TmpfsOptions.SizeBytes}`);
      if (m.TmpfsOptions?.Mode) o.push(`mode=${m.TmpfsOptions.Mode.toString(8)}`);
      // TmpfsOptions.Options (API 1.46): the flags Docker takes there, exec and noexec.
      for (const opt of m.TmpfsOptions?.Options ?? []) {
        if (opt.length !== 1 || !['exec', 'noexec'].includes(opt[0])) throw new HostOptionError(`invalid mount config for type "tmpfs": tmpfs option ${JSON.stringify(opt)} is not supported (exec, noexec)`);
        o.push(opt[0]);
      }
      mounts.push({ destination: m.Target, type: 'tmpfs', source: 'tmpfs', options: o });
    } else if (m.Type === 'volume' && m.VolumeOptions?.Subpath) {
      throw new HostOptionError('invalid mount config for type "volume": VolumeOptions.Subpath is not supported by wharfd');
    } else if (m.Type !== 'volume') {
      throw new HostOptionError(`mount type "${m.Type}" is not supported yet`);
    }
  }
  for (const [dst, opt] of Object.entries(h.Tmpfs ?? {})) {
    if (!dst.startsWith('/')) throw new HostOptionError(`invalid tmpfs mount: ${dst}`);
    mounts.push({ destination: dst, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', ...opt.split(',').filter(Boolean)] });
  }
  const devices: OciDevice[] = [];
  const deviceRules = resources.devices as Record<string, unknown>[];
  for (const dev of h.Devices ?? []) {
    const d = deviceNode(dev);
    devices.push(d.node);
    deviceRules.push({ allow: true, type: d.node.type, major: d.node.major, minor: d.node.minor, access: d.access });
  }
  let init: string | undefined;
  if (h.Init) {
    if (!host.initPath) throw new HostOptionError('docker-init binary not found: install tini (tini-static) on the host');
    mounts.push({ destination: INIT_IN_CONTAINER, type: 'bind', source: host.initPath, options: ['rbind', 'ro'] });
    init = INIT_IN_CONTAINER;
  }
  // Lowering a process's OOM score needs CAP_SYS_RESOURCE: without it runc's init fails with an obscure error (dockerd 20.10's here).
  const oomScoreAdj = h.OomScoreAdj ?? 0;
  if (oomScoreAdj < 0 && !host.caps.includes('CAP_SYS_RESOURCE')) {
    throw new HostOptionError(`OomScoreAdj ${oomScoreAdj}: a negative OOM score adjustment needs CAP_SYS_RESOURCE, which the daemon does not have on this host (0 to 1000 can be applied)`);
  }
  const seccomp = !privileged && !(h.SecurityOpt ?? []).some((o) => /^seccomp[:=]unconfined$/.test(o));
  return { resources, capabilities: caps, privileged, noNewPrivileges, seccomp, rlimits: [...rlimits.values()], mounts, devices, init, oomScoreAdj };
}

/** --device /dev/x[:/dev/y][:rwm]: the node's numbers from the host, and the cgroup access. */
function deviceNode(dev: { PathOnHost: string; PathInContainer?: string; CgroupPermissions?: string }): { node: OciDevice; access: string } {
  const access = dev.CgroupPermissions || 'rwm';
  if (!/^[rwm]{1,3}$/.test(access)) throw new HostOptionError(`invalid device mode: ${access}`);
  let st;
  try {
    st = statSync(dev.PathOnHost);
  } catch (e) {
    throw new HostOptionError(`error gathering device information while adding custom device "${dev.PathOnHost ?? ''}": no such file or directory`);
  }
  const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : undefined;
  if (!type) throw new HostOptionError(`error gathering device information while adding custom device "${dev.PathOnHost}": not a device node`);
  const { major, minor } = devNumbers(st.rdev);
  return { node: { path: dev.PathInContainer || dev.PathOnHost, type, major, minor, fileMode: st.mode & 0o777, uid: st.uid, gid: st.gid }, access };
}

/** Fields this host or wharfd cannot apply: refused with Docker's words where Docker has them, never kept unapplied. */
function refuseUnsupported(h: HostOptionsInput): void {
  if (h.CpuCount) throw new HostOptionError('CpuCount: linux does not support CPU count (a Windows option)');
  if (h.CpuPercent) throw new HostOptionError('linux does not support CPU percent');
  if (h.IOMaximumIOps) throw new HostOptionError('Invalid QoS settings: linux does not support configuration of maximum IOPs');
  if (h.IOMaximumBandwidth) throw new HostOptionError('Invalid QoS settings: linux does not support configuration of maximum bandwidth');
  for (const r of h.DeviceRequests ?? []) {
    throw new HostOptionError(`could not select device driver ${JSON.stringify(r.Driver ?? '')} with capabilities: [${(r.Capabilities ?? []).map((c) => `[${c.join(' ')}]`).join(' ')}]`);
  }
  if (h.VolumeDriver && h.VolumeDriver !== 'local') throw new HostOptionError(`error looking up volume plugin ${h.VolumeDriver}: plugin "${h.VolumeDriver}" not found`);
  if (h.Cgroup) throw new HostOptionError(`Cgroup ${JSON.stringify(h.Cgroup)}: joining another container's cgroup is not supported by wharfd`);
  if (Object.keys(h.StorageOpt ?? {}).length) throw new HostOptionError("--storage-opt is supported only for overlay over xfs with 'pquota' mount option");
  if (h.UsernsMode && h.UsernsMode !== 'host') throw new HostOptionError(`invalid USER mode: ${h.UsernsMode} (user namespace remapping is not enabled in wharfd)`);
  if (h.Runtime && h.Runtime !== 'runc') throw new HostOptionError(`Unknown runtime specified ${h.Runtime}`);
  if (h.Isolation && h.Isolation !== 'default') throw new HostOptionError(`Invalid isolation: ${JSON.stringify(h.Isolation)} - linux only supports 'default'`);
}

/**
 * A null element of a list of structs decodes, in Go, to the struct's zero value (or a nil
 * pointer, which dockerd refuses): read as an empty struct here, so it is refused or applied
 * like one, never a JavaScript error.
 */
function withZeroStructs(h: HostOptionsInput): HostOptionsInput {
  const lists = ['Ulimits', 'Mounts', 'Devices', 'DeviceRequests', 'BlkioWeightDevice', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps', 'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps'] as const;
  const out: Record<string, unknown> = { ...h };
  for (const k of lists) {
    const v = h[k];
    if (Array.isArray(v)) out[k] = (v as unknown[]).map((x) => x ?? {});
  }
  for (const k of ['Binds', 'CapAdd', 'CapDrop', 'SecurityOpt', 'DeviceCgroupRules'] as const) {
    const v = h[k];
    if (Array.isArray(v)) out[k] = v.map((x) => x ?? '');
  }
  return out as HostOptionsInput;
}
