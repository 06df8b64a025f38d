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

export interface LogConfig {
  Type: string;
  Config: Record<string, string>;
}

/** json-file options wharfd applies (--details attributes) or that have no effect in Docker's json-file either (tag). */
const JSON_FILE_OPTS = new Set(['labels', 'labels-regex', 'env', 'env-regex', 'tag']);
/**
 * Rotation: max-size is refused (wharfd does not rotate yet), never ignored. Without max-size,
 * Docker's json-file never rotates either, so max-file and compress change nothing there:
 * taken (checked as Docker checks them), as Docker takes them.
 */
const ROTATION_OPTS = new Set(['max-file', 'compress']);

/**
 * The log driver a container gets: json-file by default (wharfd's logs are read as Docker's
 * json-file's), or none. Any other driver is refused as Docker refuses one it has no plugin for.
 */
export function checkLogConfig(lc: { Type?: string; Config?: Record<string, string> | null } | null | undefined): LogConfig {
  const type = lc?.Type || 'json-file';
  const opts = { ...(lc?.Config ?? {}) };
  if (type === 'none') {
    if (Object.keys(opts).length) throw invalidArgument('invalid logging opts for driver none');
  } else if (type === 'json-file') {
    for (const k of Object.keys(opts)) {
      if (k === 'max-size') throw invalidArgument(`log opt 'max-size' of the json-file log driver is not supported: wharfd does not rotate logs`);
      if (!JSON_FILE_OPTS.has(k) && !ROTATION_OPTS.has(k)) throw invalidArgument(`unknown log opt '${k}' for json-file log driver`);
    }
    if (opts['max-file'] !== undefined) {
      const n = Number(opts['max-file']);
      if (!/^-?\d+$/.test(opts['max-file'])) throw invalidArgument(`failed to initialize logging driver: strconv.Atoi: parsing ${JSON.stringify(opts['max-file'])}: invalid syntax`);
      if (n < 1) throw invalidArgument('max-file cannot be less than 1');
    }
    if (opts.compress !== undefined && !['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False'].includes(opts.compress)) {
      throw invalidArgument(`error reading compress log option: strconv.ParseBool: parsing ${JSON.stringify(opts.compress)}: invalid syntax`);
    }
  } else {
    throw invalidArgument(`error looking up logging plugin ${type}: plugin "${type}" not found`);
  }
  return { Type: type, Config: opts };
}

/** A stored LogConfig as inspect shows it (journals from before this recorded the client's {"Type":""}). */
export function logConfigOf(lc: unknown): LogConfig {
  const l = (lc ?? {}) as { Type?: string; Config?: Record<string, string> | null };
  return { Type: l.Type || 'json-file', Config: l.Config ?? {} };
}

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
