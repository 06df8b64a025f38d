/** Docker's default OCI spec for a container, as a pure function of what the engine decided. */
import type { HostOptions } from './host-options';
import { defaultSeccomp } from './seccomp';

export interface ProcessUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
}

export interface SpecInput {
  args: string[];
  env: string[];
  cwd: string;
  user: ProcessUser;
  tty: boolean;
  /** [height, width] of the terminal at start (docker run -t sends the client's). */
  consoleSize?: [number, number];
  hostname: string;
  rootfs: string;
  readonlyRootfs: boolean;
  cgroupsPath: string;
  /** Limits, capabilities, rlimits (never above the host's hard limits) and mounts. */
  host: HostOptions;
  /** "host": the host's network namespace; a path: join that one (container:<id>); else a new one. */
  netns?: 'host' | string;
}

export const DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

const MASKED = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
const READONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export function buildSpec(i: SpecInput): Record<string, unknown> {
  const h = i.host;
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: i.tty,
      ...(i.tty && i.consoleSize ? { consoleSize: { height: i.consoleSize[0], width: i.consoleSize[1] } } : {}),
      user: { uid: i.user.uid, gid: i.user.gid, ...(i.user.additionalGids?.length ? { additionalGids: i.user.additionalGids } : {}) },
      // --init: the init (tini) runs first and reaps, the command under it.
      args: h.init ? [h.init, '--', ...i.args] : i.args,
      env: i.env,
      cwd: i.cwd || '/',
      capabilities: { bounding: h.capabilities, effective: h.capabilities, permitted: h.capabilities },
      rlimits: h.rlimits,
      noNewPrivileges: h.noNewPrivileges,
      oomScoreAdj: 0,
    },
    root: { path: i.rootfs, readonly: i.readonlyRootfs },
    hostname: i.hostname,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', h.privileged ? 'rw' : 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: [h.privileged ? 'rw' : 'ro', 'nosuid', 'noexec', 'nodev'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      // User mounts, parents before children.
      ...[...h.mounts].sort((a, b) => a.destination.split('/').length - b.destination.split('/').length),
    ],
    linux: {
      cgroupsPath: i.cgroupsPath,
      resources: h.resources,
      ...(h.devices.length ? { devices: h.devices } : {}),
      namespaces: [
        { type: 'pid' },
        { type: 'ipc' },
        { type: 'uts' },
        { type: 'mount' },
        ...(i.netns === 'host' ? [] : [i.netns ? { type: 'network', path: i.netns } : { type: 'network' }]),
      ],
      ...(h.seccomp ? { seccomp: defaultSeccomp(h.capabilities) } : {}),
      maskedPaths: h.privileged ? [] : MASKED,
      readonlyPaths: h.privileged ? [] : READONLY,
    },
  };
}
