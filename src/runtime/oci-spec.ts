/** Docker's default OCI spec for a container, as a pure function of what the engine decided. */
import type { HostOptions } from './host-options';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from '../domain/container-defaults';
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
  /** --domainname: the UTS namespace's NIS domain name ("" leaves the kernel's "(none)"). */
  domainname?: string;
  rootfs: string;
  readonlyRootfs: boolean;
  cgroupsPath: string;
  /** Limits, capabilities, rlimits (never above the host's hard limits) and mounts. */
  host: HostOptions;
  /** "host": the host's network namespace; a path: join that one (container:<id>); else a new one. */
  netns?: 'host' | string;
  /** HostConfig.IpcMode: private/shareable (own namespace), host (the host's), none (own, no /dev/shm). */
  ipcMode?: string;
  /** HostConfig.MaskedPaths / ReadonlyPaths as recorded at create (the defaults when absent). */
  maskedPaths?: string[] | null;
  readonlyPaths?: string[] | null;
  /** linux.sysctl: Docker's defaults for an own network namespace, then HostConfig.Sysctls. */
  sysctls?: Record<string, string>;
}

export const DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];


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
    ...(i.domainname ? { domainname: i.domainname } : {}),
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', h.privileged ? 'rw' : 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: [h.privileged ? 'rw' : 'ro', 'nosuid', 'noexec', 'nodev'] },
      ...ipcMounts(i.ipcMode),
      // User mounts, parents before children.
      ...[...h.mounts].sort((a, b) => a.destination.split('/').length - b.destination.split('/').length),
    ],
    linux: {
      cgroupsPath: i.cgroupsPath,
      resources: h.resources,
      ...(h.devices.length ? { devices: h.devices } : {}),
      namespaces: [
        { type: 'pid' },
        ...(i.ipcMode === 'host' ? [] : [{ type: 'ipc' }]),
        { type: 'uts' },
        { type: 'mount' },
        ...(i.netns === 'host' ? [] : [i.netns ? { type: 'network', path: i.netns } : { type: 'network' }]),
      ],
      ...(h.seccomp ? { seccomp: defaultSeccomp(h.capabilities) } : {}),
      ...(i.sysctls && Object.keys(i.sysctls).length ? { sysctl: i.sysctls } : {}),
      maskedPaths: h.privileged ? [] : i.maskedPaths ?? DEFAULT_MASKED_PATHS,
      readonlyPaths: h.privileged ? [] : i.readonlyPaths ?? DEFAULT_READONLY_PATHS,
    },
  };
}

/**
 * /dev/mqueue (an mqueue fs shows the queues of the IPC namespace it is mounted in: the host's
 * with --ipc host) and /dev/shm: the container's own, the host's (--ipc host), or none (--ipc none).
 */
function ipcMounts(mode: string | undefined): Record<string, unknown>[] {
  const mqueue = { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] };
  if (mode === 'host') return [mqueue, { destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'nosuid', 'noexec', 'nodev'] }];
  if (mode === 'none') return [mqueue];
  return [mqueue, { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] }];
}
