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
  /** Per namespace: absent for one of its own, "host" for the host's, a path to join (a donor's /proc/<pid>/ns/<x>). */
  namespaces?: Namespaces;
  /**
   * /dev/shm: a tmpfs of this size (private), a host directory bound (shareable: a host tmpfs its
   * joiners bind too; host: the host's /dev/shm), or none (IpcMode none).
   */
  shm?: { size: number } | { source: string } | null;
  /** HostConfig.MaskedPaths / ReadonlyPaths as recorded at create (the defaults when absent). */
  maskedPaths?: string[] | null;
  readonlyPaths?: string[] | null;
  /** linux.sysctl: Docker's defaults for an own network namespace, then HostConfig.Sysctls. */
  sysctls?: Record<string, string>;
  /** HostConfig.Annotations (API 1.43): the spec's annotations, for the runtime and its hooks. */
  annotations?: Record<string, string> | null;
}

export interface Namespaces {
  network?: 'host' | string;
  ipc?: 'host' | string;
  pid?: 'host' | string;
  uts?: 'host';
  /** A cgroup namespace of its own (CgroupnsMode private); the host's otherwise. */
  cgroup?: 'private';
}

/** Docker's default /dev/shm size (HostConfig.ShmSize 0). */
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;


export function buildSpec(i: SpecInput): Record<string, unknown> {
  const h = i.host;
  const ns = i.namespaces ?? {};
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
      oomScoreAdj: h.oomScoreAdj,
    },
    root: { path: i.rootfs, readonly: i.readonlyRootfs },
    ...(i.annotations && Object.keys(i.annotations).length ? { annotations: { ...i.annotations } } : {}),
    // The host's UTS namespace keeps the host's name (runc refuses a hostname without a UTS namespace).
    ...(ns.uts === 'host' ? {} : { hostname: i.hostname }),
    ...(i.domainname ? { domainname: i.domainname } : {}),
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', h.privileged ? 'rw' : 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: [h.privileged ? 'rw' : 'ro', 'nosuid', 'noexec', 'nodev'] },
      ...ipcMounts(i.shm === undefined ? { size: DEFAULT_SHM_SIZE } : i.shm),
      // User mounts, parents before children.
      ...[...h.mounts].sort((a, b) => a.destination.split('/').length - b.destination.split('/').length),
    ],
    linux: {
      cgroupsPath: i.cgroupsPath,
      resources: h.resources,
      ...(h.devices.length ? { devices: h.devices } : {}),
      namespaces: namespacesOf(ns),
      ...(h.seccomp ? { seccomp: defaultSeccomp(h.capabilities) } : {}),
      ...(i.sysctls && Object.keys(i.sysctls).length ? { sysctl: i.sysctls } : {}),
      maskedPaths: h.privileged ? [] : i.maskedPaths ?? DEFAULT_MASKED_PATHS,
      readonlyPaths: h.privileged ? [] : i.readonlyPaths ?? DEFAULT_READONLY_PATHS,
    },
  };
}

/** The OCI namespaces: each its own, the host's (left out) or one to join (by path). */
export function namespacesOf(ns: Namespaces): { type: string; path?: string }[] {
  const one = (type: string, mode: string | undefined) => (mode === 'host' ? [] : [mode ? { type, path: mode } : { type }]);
  return [
    ...one('pid', ns.pid),
    ...one('ipc', ns.ipc),
    ...one('uts', ns.uts),
    { type: 'mount' },
    ...one('network', ns.network),
    ...(ns.cgroup === 'private' ? [{ type: 'cgroup' }] : []),
  ];
}

/**
 * /dev/mqueue (an mqueue fs shows the queues of the IPC namespace it is mounted in: the host's
 * with --ipc host, the donor's with container:<x>) and /dev/shm (see SpecInput.shm).
 */
function ipcMounts(shm: SpecInput['shm']): Record<string, unknown>[] {
  const mqueue = { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] };
  if (!shm) return [mqueue];
  if ('source' in shm) return [mqueue, { destination: '/dev/shm', type: 'bind', source: shm.source, options: ['rbind', 'nosuid', 'noexec', 'nodev'] }];
  return [mqueue, { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shm.size}`] }];
}
