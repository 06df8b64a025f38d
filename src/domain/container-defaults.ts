/**
 * What Docker fills in a container's HostConfig at create, and what it refuses there: the
 * log driver (json-file, as wharfd's logs read; none), the masked and read-only /proc paths
 * (the namespace modes: namespace-modes.ts). Pure: the engine stores the result, the runtime applies it, inspect shows it.
 */
import { invalidArgument } from './errors';

/** Docker's default masked paths (moby oci.DefaultSpec, as of Docker 25+: with powercap). */
export const DEFAULT_MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
export const DEFAULT_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/**
 * Docker's default sysctls for a container with its own network namespace: any user may
 * bind a port below 1024 and open ICMP echo sockets (ping without CAP_NET_RAW).
 */
export const DEFAULT_NET_SYSCTLS: Record<string, string> = {
  'net.ipv4.ip_unprivileged_port_start': '0',
  'net.ipv4.ping_group_range': '0 2147483647',
};

export { checkLogConfig, logConfigOf, type LogConfig } from './log-driver';

/** Masked and read-only paths as Docker records them at create: the defaults unless given, none for --privileged. */
export function pathDefaults(h: { Privileged?: boolean; MaskedPaths?: unknown; ReadonlyPaths?: unknown }): { MaskedPaths: string[] | null; ReadonlyPaths: string[] | null } {
  const list = (v: unknown, name: string): string[] | undefined => {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((p) => typeof p !== 'string' || !p.startsWith('/'))) throw invalidArgument(`${name} must be a list of absolute paths`);
    return v as string[];
  };
  const masked = list(h.MaskedPaths, 'MaskedPaths');
  const ro = list(h.ReadonlyPaths, 'ReadonlyPaths');
  return {
    MaskedPaths: masked ?? (h.Privileged ? null : DEFAULT_MASKED_PATHS),
    ReadonlyPaths: ro ?? (h.Privileged ? null : DEFAULT_READONLY_PATHS),
  };
}
