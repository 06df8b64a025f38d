import { Command } from 'commander';
import { DEFAULTS, type DaemonConfig } from './config';
import { makeLogger } from './logger';
import { startDaemon, WHARF_VERSION } from './daemon';
import { addIssue16Flags, applyConfigFile, ConfigFileError, STORAGE_DRIVERS } from './daemon-flags';
import { listenerConfig, listenerFlags, type ListenerFlagValues } from './listener-flags';

/** Flags as dockerd's: -H/--host (repeatable), --data-root, --exec-root, --pidfile, -D/--debug. */
export function daemonCommand(cmd: Command): Command {
  addIssue16Flags(listenerFlags(cmd)).hook('preAction', (c) => {
    try {
      applyConfigFile(c);
    } catch (e) {
      if (!(e instanceof ConfigFileError)) throw e;
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
  });
  return cmd
    .option('-H, --host <host>', 'daemon socket(s) to connect to', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--data-root <dir>', 'root directory of persistent state', DEFAULTS.dataRoot)
    .option('--exec-root <dir>', 'root directory for execution state files', DEFAULTS.execRoot)
    .option('-p, --pidfile <file>', 'path to use for daemon PID file', DEFAULTS.pidfile)
    .option('-D, --debug', 'enable debug mode', false)
    .option('-l, --log-level <level>', 'set the logging level (debug, info, warn, error, fatal)', DEFAULTS.logLevel)
    .option('-b, --bridge <bridge>', 'attach containers to a network bridge ("none" to disable)', DEFAULTS.bridge)
    .option('--bip <cidr>', "network bridge's IP and prefix", DEFAULTS.bip)
    .option('--mtu <bytes>', 'set the containers network MTU', (v: string) => Number(v), DEFAULTS.mtu)
    .option('--ip <address>', 'default IP when binding container ports', DEFAULTS.ip)
    .option('--icc [bool]', 'enable inter-container communication on the default bridge', (v: string) => v !== 'false', DEFAULTS.icc)
    .option('--insecure-registry <host>', 'enable insecure registry communication (plain HTTP or unchecked TLS)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--max-concurrent-downloads <n>', 'set the max concurrent downloads', positiveInt, DEFAULTS.maxConcurrentDownloads)
    .option('--max-concurrent-uploads <n>', 'set the max concurrent uploads', positiveInt, DEFAULTS.maxConcurrentUploads)
    .option('--registry-timeout <seconds>', 'fail a registry request after this many seconds without data', positiveInt, DEFAULTS.registryTimeout)
    .option('--log-driver <string>', 'default driver for container logs', DEFAULTS.logDriver)
    .option('--log-opt <key=value>', 'default log driver options for containers', (v: string, acc: string[]) => [...acc, v], [] as string[]);
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`invalid value ${v}: a positive integer is needed`);
  return n;
}

export async function runDaemon(opts: { host: string[]; dataRoot: string; execRoot: string; pidfile: string; debug: boolean; logLevel: string; bridge: string; bip: string; mtu: number; ip: string; icc: boolean | string; insecureRegistry: string[]; maxConcurrentDownloads: number; maxConcurrentUploads: number; registryTimeout: number; logDriver?: string; logOpt?: string[] } & Issue16Opts): Promise<void> {
  const cfg: DaemonConfig = {
    // hosts, TLS, socket group, CORS: listener-flags.ts
    dataRoot: opts.dataRoot,
    execRoot: opts.execRoot,
    pidfile: opts.pidfile,
    debug: opts.debug,
    logLevel: opts.debug ? 'debug' : opts.logLevel,
    bridge: opts.bridge,
    bip: opts.bip,
    mtu: opts.mtu,
    ip: opts.ip,
    icc: opts.icc !== false && opts.icc !== 'false',
    insecureRegistries: opts.insecureRegistry ?? [],
    maxConcurrentDownloads: opts.maxConcurrentDownloads ?? DEFAULTS.maxConcurrentDownloads,
    maxConcurrentUploads: opts.maxConcurrentUploads ?? DEFAULTS.maxConcurrentUploads,
    registryTimeout: opts.registryTimeout ?? DEFAULTS.registryTimeout,
    logDriver: opts.logDriver ?? DEFAULTS.logDriver,
    logOpts: Object.fromEntries((opts.logOpt ?? []).map((kv) => (kv.includes('=') ? [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] : [kv, '']))),
    ...issue16Config(opts),
    ...listenerConfig(opts as unknown as ListenerFlagValues),
  };
  const log = makeLogger(cfg.logLevel);
  if (!STORAGE_DRIVERS.includes(cfg.storageDriver ?? 'overlay2')) {
    // dockerd's words for a driver it does not have.
    process.stderr.write('failed to start daemon: error initializing graphdriver: driver not supported\n');
    process.exit(1);
  }
  let daemon;
  try {
    daemon = await startDaemon(cfg, log);
  } catch (e) {
    log.fatal({ err: (e as Error).message }, 'failed to start daemon');
    process.exit(1);
  }
  log.info({ version: WHARF_VERSION, dataRoot: cfg.dataRoot }, 'wharfd ready');
  let stopping = false;
  const stop = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal: sig }, 'shutting down; containers keep running');
    await daemon.close().catch((e: Error) => log.error({ err: e.message }, 'close failed'));
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('uncaughtException', (err) => log.error({ err }, 'uncaught exception (kept serving)'));
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection (kept serving)'));
}

/** -r, --dns, --dns-search, --dns-opt, --iptables, -s, --config-file (issue 16); -g is folded into --data-root by applyConfigFile. */
interface Issue16Opts {
  restart?: boolean;
  dns?: string[];
  dnsSearch?: string[];
  dnsOpt?: string[];
  iptables?: boolean;
  storageDriver?: string;
  configFile?: string;
}

function issue16Config(opts: Issue16Opts): Partial<DaemonConfig> {
  return {
    restart: opts.restart !== false,
    dns: opts.dns ?? [],
    dnsSearch: opts.dnsSearch ?? [],
    dnsOptions: opts.dnsOpt ?? [],
    iptables: opts.iptables !== false,
    storageDriver: opts.storageDriver ?? DEFAULTS.storageDriver,
    ...(opts.configFile ? { configFile: opts.configFile } : {}),
  };
}

/** wharfd -v/--version: as `dockerd --version` prints it, with Wharf's name (as `wharf --version`). */
export const VERSION_LINE = `Wharf version ${WHARF_VERSION}, build wharf`;

export function main(argv: string[]): void {
  const cmd = daemonCommand(new Command('wharfd').version(VERSION_LINE, '-v, --version', 'print version information and quit').description('Wharf container engine daemon'));
  cmd.action((opts) => runDaemon(opts));
  cmd.parse(argv);
}
