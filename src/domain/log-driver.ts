/**
 * Log drivers as dockerd checks and applies them: json-file (max-size, max-file, compress,
 * the --details attributes, tag), local (the same rotation with local's defaults: 20 MB × 5,
 * compressed) and none; any other driver or option is refused with dockerd's words. dockerd
 * checks option names at create and values when the driver starts; wharfd checks both at
 * create, with the start-time message, so nothing is created that could not start. Pure.
 */
import { invalidArgument } from './errors';

export interface LogConfig {
  Type: string;
  Config: Record<string, string>;
}

/** What the runtime does with a container's output. */
export type LogPolicy =
  /** Kept, never rotated (json-file without max-size). */
  | { kind: 'keep' }
  /** Kept in files of about maxSize bytes, the last maxFile of them (current included). */
  | { kind: 'rotate'; maxSize: number; maxFile: number; compress: boolean }
  /** Not kept: only attach reads it, from a file conmon truncates. */
  | { kind: 'none' };

/** Options every driver but none takes (moby logger.builtInLogOpts). */
const BUILTIN_OPTS = new Set(['mode', 'max-buffer-size']);
/** The attributes `docker logs --details` shows, and the tag (which only syslog-like drivers print). */
const ATTRIBUTE_OPTS = ['labels', 'labels-regex', 'env', 'env-regex', 'tag'];
const DRIVER_OPTS: Record<string, Set<string>> = {
  'json-file': new Set(['max-file', 'max-size', 'compress', ...ATTRIBUTE_OPTS]),
  local: new Set(['max-file', 'max-size', 'compress']),
};
const LOCAL_DEFAULTS = { maxSize: 20 * 1000 * 1000, maxFile: 5, compress: true };

const INIT = 'failed to initialize logging driver: ';

/**
 * The LogConfig a container gets: the daemon's default driver when none is named, the daemon's
 * default options under the container's own when the driver is the default one (as dockerd's
 * mergeAndVerifyLogConfig), then checked.
 */
export function checkLogConfig(lc: { Type?: string; Config?: Record<string, string> | null } | null | undefined, daemonDefault: LogConfig = DEFAULT_LOG_CONFIG): LogConfig {
  const type = lc?.Type || daemonDefault.Type;
  const opts: Record<string, string> = { ...(lc?.Config ?? {}) };
  if (type === daemonDefault.Type) for (const [k, v] of Object.entries(daemonDefault.Config)) if (!(k in opts)) opts[k] = v;
  const config = { Type: type, Config: opts };
  logPolicyOf(config);
  return config;
}

export const DEFAULT_LOG_CONFIG: LogConfig = { Type: 'json-file', Config: {} };

/** The daemon's --log-driver/--log-opt, checked as dockerd checks them at start ("failed to set log opts: ..."). */
export function checkDaemonLogConfig(type: string, opts: Record<string, string>): LogConfig {
  try {
    return checkLogConfig({ Type: type, Config: opts }, { Type: type, Config: {} });
  } catch (e) {
    throw invalidArgument(`failed to set log opts: ${(e as Error).message.replace(INIT, '')}`);
  }
}

/** A stored LogConfig as inspect shows it (journals from before this recorded the client's {"Type":""}). */
export function logConfigOf(lc: unknown): LogConfig {
  const l = (lc ?? {}) as { Type?: string; Config?: Record<string, string> | null };
  return { Type: l.Type || 'json-file', Config: l.Config ?? {} };
}

/** How a checked LogConfig is applied; throws dockerd's error for what it would refuse. */
export function logPolicyOf(lc: LogConfig): LogPolicy {
  const { Type: type, Config: opts } = lc;
  if (type === 'none') {
    // The CLI's own check; dockerd's API takes them and does nothing with them.
    if (Object.keys(opts).length) throw invalidArgument('invalid logging opts for driver none');
    return { kind: 'none' };
  }
  const known = DRIVER_OPTS[type];
  if (!known) throw invalidArgument(`error looking up logging plugin ${type}: plugin "${type}" not found`);
  checkMode(opts);
  for (const k of Object.keys(opts)) {
    if (BUILTIN_OPTS.has(k) || known.has(k)) continue;
    throw invalidArgument(type === 'local' ? `unknown log opt '${k}' for log driver local` : `unknown log opt '${k}' for ${type} log driver`);
  }
  return type === 'local' ? localPolicy(opts) : jsonFilePolicy(opts);
}

/** moby logger.ValidateLogOpts: blocking is what conmon does (it writes each read to the file before reading more). */
function checkMode(opts: Record<string, string>): void {
  const mode = opts.mode ?? '';
  if (mode !== '' && mode !== 'blocking' && mode !== 'non-blocking') throw invalidArgument(`logger: logging mode not supported: ${mode}`);
  if (opts['max-buffer-size'] !== undefined && mode !== 'non-blocking') throw invalidArgument("logger: max-buffer-size option is only supported with 'mode=non-blocking'");
  if (mode === 'non-blocking') {
    throw invalidArgument('logger: logging mode non-blocking is not supported by wharfd: conmon writes the output to the log file itself and never drops any');
  }
}

/** moby daemon/logger/jsonfilelog.New. */
function jsonFilePolicy(opts: Record<string, string>): LogPolicy {
  let maxSize = -1;
  if (opts['max-size'] !== undefined) {
    maxSize = fromHumanSize(opts['max-size'], INIT);
    if (maxSize <= 0) throw invalidArgument(`${INIT}max-size must be a positive number`);
  }
  let maxFile = 1;
  if (opts['max-file'] !== undefined) {
    maxFile = atoi(opts['max-file'], INIT);
    if (maxFile < 1) throw invalidArgument(`${INIT}max-file cannot be less than 1`);
  }
  let compress = false;
  if (opts.compress !== undefined) {
    compress = parseBool(opts.compress, INIT);
    if (compress && (maxFile === 1 || maxSize === -1)) throw invalidArgument(`${INIT}compress cannot be true when max-file is less than 2 or max-size is not set`);
  }
  for (const k of ['labels-regex', 'env-regex']) {
    if (opts[k] === undefined) continue;
    try {
      new RegExp(opts[k]);
    } catch (e) {
      throw invalidArgument(`${INIT}error parsing regexp: ${(e as Error).message}`);
    }
  }
  // Without max-size, json-file never rotates: max-file has nothing to count.
  return maxSize === -1 ? { kind: 'keep' } : { kind: 'rotate', maxSize, maxFile, compress };
}

/** moby daemon/logger/local.New and validateConfig. */
function localPolicy(opts: Record<string, string>): LogPolicy {
  let { maxSize, maxFile, compress } = LOCAL_DEFAULTS;
  if (opts['max-size'] !== undefined) maxSize = fromHumanSize(opts['max-size'], `${INIT}invalid value for max-size: ${opts['max-size']}: `);
  if (opts['max-file'] !== undefined) maxFile = atoi(opts['max-file'], `${INIT}invalid value for max-file: ${opts['max-file']}: `);
  if (opts.compress !== undefined) compress = parseBool(opts.compress, `${INIT}error reading compress log option: `);
  if (maxFile < 0) throw invalidArgument(`${INIT}max file count cannot be less than 0`);
  if (compress && maxFile <= 1) throw invalidArgument(`${INIT}compression cannot be enabled when max file count is 1`);
  // local rotates after each write once the file has reached max-size: 0 puts every record in a file of its own.
  return { kind: 'rotate', maxSize: Math.max(maxSize, 1), maxFile: Math.max(maxFile, 1), compress };
}

/** go-units FromHumanSize (decimal: 1k = 1000), with its errors. */
export function fromHumanSize(s: string, prefix = ''): number {
  const m = /^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(s);
  if (!m) throw invalidArgument(`${prefix}invalid size: '${s}'`);
  if (m[1].split('.').length > 2) throw invalidArgument(`${prefix}strconv.ParseFloat: parsing ${JSON.stringify(m[1])}: invalid syntax`);
  const mul = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 }[(m[3] ?? '').toLowerCase()] ?? 1;
  return Math.trunc(Number(m[1]) * mul);
}

function atoi(s: string, prefix: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw invalidArgument(`${prefix}strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  return Number(s);
}

function parseBool(s: string, prefix: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  throw invalidArgument(`${prefix}strconv.ParseBool: parsing ${JSON.stringify(s)}: invalid syntax`);
}
