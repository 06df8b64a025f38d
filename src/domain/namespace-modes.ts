/**
 * The namespace modes of a create request (IpcMode, PidMode, UTSMode, CgroupnsMode, the
 * container: network mode) and the options that conflict with them: checked at create with
 * Docker's messages, normalised as Docker records them. Pure: the engine resolves the
 * donor containers, the runtime applies the modes (runtime/oci-spec.ts namespacesOf).
 */
import { invalidArgument } from './errors';

/** The donor's reference in a "container:<ref>" mode, or undefined for any other mode. */
export function donorOf(mode: unknown): string | undefined {
  return typeof mode === 'string' && mode.startsWith('container:') ? mode.slice('container:'.length) : undefined;
}

/** IpcMode: private (the default), shareable, host, none, container:<ref> (a running shareable container's). */
export function checkIpcMode(mode: unknown): string {
  const m = typeof mode === 'string' ? mode : '';
  if (m === '') return 'private';
  if (['private', 'shareable', 'host', 'none'].includes(m) || donorOf(m)) return m;
  throw invalidArgument(`Invalid IPC mode: ${m}`);
}

/** PidMode: "" (its own namespace), host, container:<ref>. */
export function checkPidMode(mode: unknown): string {
  const m = typeof mode === 'string' ? mode : '';
  if (m === '' || m === 'host' || donorOf(m)) return m;
  throw invalidArgument(`invalid PID mode: ${m}`);
}

/** UTSMode: "" (its own namespace) or host. */
export function checkUtsMode(mode: unknown): string {
  const m = typeof mode === 'string' ? mode : '';
  if (m === '' || m === 'host') return m;
  throw invalidArgument(`invalid UTS mode: ${m}`);
}

/**
 * CgroupnsMode: host (the default on cgroup v1, as dockerd's) or private (a cgroup namespace
 * of its own, which cgroup v1 has too: dockerd 20.10 on this host applies it).
 */
export function checkCgroupnsMode(mode: unknown): string {
  const m = typeof mode === 'string' ? mode : '';
  if (m === '') return 'host';
  if (m === 'host' || m === 'private') return m;
  throw invalidArgument(`invalid cgroup namespace mode: ${m}`);
}

/** What a request asked for that a shared network or UTS namespace cannot give (dockerd's runconfig checks). */
export interface ModeConflictInput {
  Hostname?: string;
  ExposedPorts?: Record<string, unknown> | null;
  HostConfig: {
    NetworkMode?: string;
    UTSMode?: string;
    Dns?: string[] | null;
    ExtraHosts?: string[] | null;
    PortBindings?: Record<string, unknown> | null;
    PublishAllPorts?: boolean;
    Links?: string[] | null;
  };
}

/** Docker's "conflicting options" refusals, measured on dockerd 20.10 (400). */
export function checkModeConflicts(req: ModeConflictInput): void {
  const h = req.HostConfig;
  if (h.UTSMode === 'host' && req.Hostname) throw invalidArgument('conflicting options: hostname and the UTS mode');
  if (!donorOf(h.NetworkMode)) return;
  if (req.Hostname) throw invalidArgument('conflicting options: hostname and the network mode');
  if (h.Links?.length) throw invalidArgument("conflicting options: container type network can't be used with links. This would result in undefined behavior");
  if (h.Dns?.length) throw invalidArgument('conflicting options: dns and the network mode');
  if (h.ExtraHosts?.length) throw invalidArgument('conflicting options: custom host-to-IP mapping and the network mode');
  if (Object.keys(h.PortBindings ?? {}).length || h.PublishAllPorts) throw invalidArgument('conflicting options: port publishing and the container type network mode');
  if (Object.keys(req.ExposedPorts ?? {}).length) throw invalidArgument('conflicting options: port exposing and the container type network mode');
}
