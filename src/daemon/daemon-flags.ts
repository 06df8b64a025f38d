import { existsSync, readFileSync } from 'node:fs';
import type { Command, Option } from 'commander';

// Issue 16: the seed's remaining daemon flags (-g, -r, --dns, --dns-search, --iptables, -s,
// --config-file) and daemon.json, kept apart from the other flags of main.ts so that each
// part can change without touching the other.

/** Where wharfd looks for its daemon.json when --config-file is not given (read only if it exists). */
export const DEFAULT_CONFIG_FILE = '/etc/wharf/daemon.json';

/** The storage drivers wharfd has. */
export const STORAGE_DRIVERS = ['overlay2', 'vfs'];

/** "true"/"false" as Go's flag package reads a bool (-r=false, --iptables=false, --iptables false). */
export function parseBool(v: string | boolean | undefined): boolean {
  if (v === undefined || v === true || v === false) return v !== false;
  const s = v.replace(/^=/, '').toLowerCase();
  if (['1', 't', 'true'].includes(s)) return true;
  if (['0', 'f', 'false'].includes(s)) return false;
  throw new Error(`invalid boolean value "${v}"`);
}

const collect = (v: string, acc: string[]) => [...acc, v.replace(/^=/, '')];

export function addIssue16Flags(cmd: Command): Command {
  return cmd
    .option('-g, --graph <dir>', 'root of the runtime state (deprecated: use --data-root)')
    .option('-r, --restart [bool]', 'start containers at boot as their restart policies say (false: leave it to a process manager, with start -a)', parseBool, true)
    .option('--dns <ip>', 'DNS server for containers that set none', collect, [] as string[])
    .option('--dns-search <domain>', 'DNS search domain for containers that set none', collect, [] as string[])
    .option('--dns-opt <option>', 'DNS option for containers that set none', collect, [] as string[])
    .option('--iptables [bool]', 'add firewall rules (nftables) for published ports, NAT and isolation', parseBool, true)
    .option('-s, --storage-driver <driver>', 'storage driver to use (overlay2, vfs)', (v: string) => v.replace(/^=/, ''), 'overlay2')
    .option('--config-file <file>', `daemon configuration file (default ${DEFAULT_CONFIG_FILE}, if it exists)`);
}

/**
 * daemon.json keys whose name is not their flag's long name (dockerd's "named options"), and
 * the file's key for each such flag.
 */
const NAMED: Record<string, string> = {
  hosts: 'host',
  'log-opts': 'log-opt',
  'dns-opts': 'dns-opt',
  'insecure-registries': 'insecure-registry',
};
/** Flags that have no daemon.json key. */
const NOT_IN_FILE = new Set(['config-file', 'version', 'help']);

export class ConfigFileError extends Error {}

/**
 * --config-file (or /etc/wharf/daemon.json when it exists): each key sets the flag of that name
 * (as dockerd's daemon.json), unless the flag was given on the command line: then the daemon
 * refuses to start, with dockerd's words, as it does for a key that names no flag.
 */
export function applyConfigFile(cmd: Command): void {
  const given = cmd.getOptionValue('configFile') as string | undefined;
  const file = given ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  checkGraph(cmd, undefined);
  if (!file) return;
  const fail = (msg: string) => new ConfigFileError(`unable to configure the Wharf daemon with file ${file}: ${msg}`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw fail(err.code === 'ENOENT' ? `open ${file}: no such file or directory` : err.message);
  }
  let json: unknown;
  try {
    json = text.trim() === '' ? {} : JSON.parse(text);
  } catch (e) {
    throw fail(`invalid JSON: ${(e as Error).message}`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw fail('invalid JSON: the file must hold one object');
  const values = json as Record<string, unknown>;
  const options = cmd.options as Option[];
  const byKey = new Map<string, Option>();
  for (const o of options) {
    const long = o.long?.replace(/^--/, '');
    if (!long || NOT_IN_FILE.has(long)) continue;
    byKey.set(long, o);
  }
  for (const [key, flag] of Object.entries(NAMED)) {
    const o = byKey.get(flag);
    if (o) {
      byKey.delete(flag);
      byKey.set(key, o);
    }
  }
  const unknown = Object.keys(values).filter((k) => !byKey.has(k));
  if (unknown.length) throw fail(`the following directives don't match any configuration option: ${unknown.join(', ')}`);
  const conflicts = [...byKey.entries()]
    .filter(([key, o]) => key in values && cmd.getOptionValueSource(o.attributeName()) === 'cli')
    .sort(([, a], [, b]) => a.long!.localeCompare(b.long!))
    .map(([key, o]) => `${key}: (from flag: ${goValue(flagShown(key, cmd.getOptionValue(o.attributeName())))}, from file: ${goValue(values[key])})`);
  if (conflicts.length) throw fail(`the following directives are specified both as a flag and in the configuration file: ${conflicts.join(', ')}`);
  for (const [key, v] of Object.entries(values)) {
    const o = byKey.get(key)!;
    cmd.setOptionValueWithSource(o.attributeName(), fromFile(key, o, v, fail), 'config');
  }
  checkGraph(cmd, file);
}

/** -g/--graph is --data-root's old name: one of them, never both. */
function checkGraph(cmd: Command, file: string | undefined): void {
  const graph = cmd.getOptionValue('graph') as string | undefined;
  if (graph === undefined) return;
  if (cmd.getOptionValueSource('dataRoot') === 'cli' || cmd.getOptionValueSource('dataRoot') === 'config') {
    const msg = 'cannot specify both "--graph" and "--data-root" option';
    throw new ConfigFileError(file && (cmd.getOptionValueSource('graph') === 'config' || cmd.getOptionValueSource('dataRoot') === 'config') ? `unable to configure the Wharf daemon with file ${file}: ${msg}` : msg);
  }
  cmd.setOptionValueWithSource('dataRoot', graph, cmd.getOptionValueSource('graph') ?? 'cli');
}

/** A daemon.json value as the flag's parsed value would be. */
function fromFile(key: string, o: Option, v: unknown, fail: (m: string) => Error): unknown {
  const wrongType = (want: string) => fail(`${key}: ${want} expected, got ${JSON.stringify(v)}`);
  const dflt = o.defaultValue as unknown;
  if (key === 'log-opts') {
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw wrongType('an object of strings');
    return Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k}=${String(x)}`);
  }
  if (Array.isArray(dflt) || key === 'hosts') {
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw wrongType('a list of strings');
    return v;
  }
  if (typeof dflt === 'boolean' || o.negate || (!o.required && !o.optional && !dflt)) {
    // A bool flag (its value is a boolean), or a flag that takes no value (-D/--debug).
    if (typeof v !== 'boolean') throw wrongType('a boolean');
    return v;
  }
  if (typeof dflt === 'number') {
    if (typeof v !== 'number') throw wrongType('a number');
    return v;
  }
  if (typeof v === 'boolean' && o.optional) return v;
  if (typeof v !== 'string') throw wrongType('a string');
  return v;
}

/** --log-opt k=v (a list here) is a map in dockerd. */
function flagShown(key: string, v: unknown): unknown {
  if (key !== 'log-opts' || !Array.isArray(v)) return v;
  return Object.fromEntries(v.map((kv: string) => [kv.split('=')[0], kv.slice(kv.indexOf('=') + 1)]));
}

/** A value as Go's %v prints it (dockerd's conflict message). */
export function goValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (v && typeof v === 'object') return `map[${Object.keys(v).sort().map((k) => `${k}:${goValue((v as Record<string, unknown>)[k])}`).join(' ')}]`;
  return String(v);
}
