/**
 * HostConfig.Sysctls: only those of a namespace the container has apart from the host's.
 * runc's rules (libcontainer/configs/validate), checked at create so that nothing is created
 * that cannot start; the messages are runc's, which dockerd reports at start.
 */
import { invalidArgument } from './errors';

const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

export interface SysctlModes {
  NetworkMode?: string;
  IpcMode?: string;
  UTSMode?: string;
}

export function checkSysctls(sysctls: Record<string, string> | null | undefined, m: SysctlModes): void {
  for (const s of Object.keys(sysctls ?? {})) {
    if (IPC_SYSCTLS.has(s) || s.startsWith('fs.mqueue.')) {
      if (m.IpcMode === 'host') throw invalidArgument(`sysctl "${s}" is not allowed in the hosts ipc namespace`);
      continue;
    }
    if (s.startsWith('net.')) {
      if (m.NetworkMode === 'host') throw invalidArgument(`sysctl "${s}" not allowed in host network namespace`);
      continue;
    }
    if (m.UTSMode !== 'host') {
      if (s === 'kernel.domainname') continue;
      if (s === 'kernel.hostname') throw invalidArgument(`sysctl "${s}" is not allowed as it conflicts with the OCI "hostname" field`);
    }
    throw invalidArgument(`sysctl "${s}" is not in a separate kernel namespace`);
  }
}
