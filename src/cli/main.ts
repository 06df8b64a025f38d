/**
 * The wharf CLI: docker's commands, flags and output against a wharfd, plus `wharf -d` /
 * `wharf daemon` to run the daemon itself (with wharfd's flags).
 */
import { Command, CommanderError, Option } from 'commander';
import { Client, resolveTls } from '../client/client';
import { errorText, PROG, stdio, UsageError, type CommandSpec, type IO } from './command';
import { create } from './commands/create';
import { events } from './commands/events';
import { imageInspect } from './commands/image-inspect';
import { images } from './commands/images';
import { importCmd } from './commands/import';
import { insert } from './commands/insert';
import { info } from './commands/info';
import { inspect } from './commands/inspect';
import { kill } from './commands/kill';
import { logs } from './commands/logs';
import { ps } from './commands/ps';
import { rm } from './commands/rm';
import { rmi } from './commands/rmi';
import { run } from './commands/run';
import { start } from './commands/start';
import { stop } from './commands/stop';
import { tag } from './commands/tag';
import { CLI_VERSION, version } from './commands/version';
import { wait } from './commands/wait';
import { attachCmd } from './commands/attach';
import { commit } from './commands/commit';
import { containerPrune } from './commands/container-prune';
import { pause, restart, unpause } from './commands/container-state';
import { cp } from './commands/cp';
import { diff } from './commands/diff';
import { exec } from './commands/exec';
import { exportCmd } from './commands/export';
import { rename } from './commands/rename';
import { load, save } from './commands/save-load';
import { build } from './commands/build';
import { stats } from './commands/stats';
import { top } from './commands/top';
import { update } from './commands/update';
import { volumeCreate } from './commands/volume-create';
import { volumeInspect } from './commands/volume-inspect';
import { volumeLs } from './commands/volume-ls';
import { volumePrune } from './commands/volume-prune';
import { volumeRm } from './commands/volume-rm';
import { networkConnect, networkDisconnect } from './commands/network-connect';
import { networkCreate } from './commands/network-create';
import { networkInspect } from './commands/network-inspect';
import { networkLs } from './commands/network-ls';
import { networkPrune } from './commands/network-prune';
import { networkRm } from './commands/network-rm';
import { port } from './commands/port';
import { pull } from './commands/pull';
import { login, logout } from './commands/login';
import { search } from './commands/search';
import { history } from './commands/history';
import { imagePrune } from './commands/image-prune';
import { systemDf } from './commands/system-df';
import { systemPrune } from './commands/system-prune';
import { push } from './commands/push';
import { journalBuilds, journalRepair, journalVerify, quarantineLs, quarantinePrune } from './commands/journal';
import { journalAt, journalExport, journalHistory, journalImport, journalRebuild } from './commands/journal-audit';

type AnySpec = CommandSpec<any>;

/** Commands that stop reading flags at the first argument (the container's command follows). */
const INTERSPERSED_OFF = new Set(['run', 'create', 'exec', 'top']);

/** Global options that take a value (to find where the subcommand starts). */
const GLOBAL_WITH_VALUE = new Set(['-H', '--host', '-l', '--log-level', '--config', '-c', '--context', '--tlscacert', '--tlscert', '--tlskey']);

/**
 * --tls=false and --tlsverify=false (pflag's booleans take a value after "="): as commander's
 * --no-tls and --no-tlsverify, before the subcommand only.
 */
function tlsBooleans(args: string[], sub: number): string[] {
  const end = sub < 0 ? args.length : sub;
  return args.map((a, i) => {
    const m = i < end ? /^--(tls|tlsverify)=(.*)$/.exec(a) : null;
    if (!m) return a;
    if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(m[2])) return `--${m[1]}`;
    if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(m[2])) return `--no-${m[1]}`;
    return a;
  });
}

/** A flag problem found by commander, with the command it happened in. */
class FlagError extends Error {
  constructor(
    readonly err: CommanderError,
    readonly path: string,
    readonly usage: string,
  ) {
    super(err.message);
  }
}

/** Docker's wording for commander's parse errors. */
function flagMessage(err: CommanderError): string {
  const msg = err.message.replace(/^error: /, '');
  let m: RegExpExecArray | null;
  if (err.code === 'commander.unknownOption' && (m = /unknown option '([^']+)'/.exec(msg))) {
    const flag = m[1];
    return flag.startsWith('--') ? `unknown flag: ${flag}` : `unknown shorthand flag: '${flag.slice(1, 2)}' in ${flag}`;
  }
  if (err.code === 'commander.invalidArgument' && (m = /option '([^']+?)(?: <[^>]+>)?' argument '([^']*)' is invalid\. ?(.*)$/s.exec(msg))) {
    return `invalid argument "${m[2]}" for "${m[1]}" flag: ${m[3]}`;
  }
  if (err.code === 'commander.optionMissingArgument' && (m = /option '([^']+?)(?: <[^>]+>)?' argument missing/.exec(msg))) {
    const flags = m[1].split(/,\s*/);
    return `flag needs an argument: ${flags[flags.length - 1]}`;
  }
  return msg;
}

/** Where the subcommand starts, or -1; `-d` before it means daemon mode. */
function scanGlobals(args: string[]): { daemon: boolean; sub: number } {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-d' || a === '--daemon') return { daemon: true, sub: -1 };
    if (a === '--') return { daemon: false, sub: i + 1 < args.length ? i + 1 : -1 };
    if (!a.startsWith('-') || a === '-') return { daemon: false, sub: i };
    if (GLOBAL_WITH_VALUE.has(a)) i++;
  }
  return { daemon: false, sub: -1 };
}

async function runDaemonMode(args: string[]): Promise<void> {
  // Loaded only here: the CLI itself does not need the engine.
  const { daemonCommand, runDaemon } = await import('../daemon/main');
  const cmd = daemonCommand(new Command('wharf').description('Run the Wharf daemon (flags as wharfd)'));
  cmd.action((opts) => runDaemon(opts));
  await cmd.parseAsync(args, { from: 'user' });
}

export interface Wiring {
  io: IO;
  code: number;
  makeClient(flags: Record<string, unknown>): Client;
}

function register(parent: Command, spec: AnySpec, w: Wiring, name = spec.name, pathPrefix = PROG, aliases: string[] = spec.aliases ?? []): Command {
  const path = `${pathPrefix} ${name}`;
  const cmd = parent.command(name).description(spec.description).usage(spec.usage);
  for (const a of aliases) cmd.alias(a);
  cmd.exitOverride((err) => {
    throw new FlagError(err, path, spec.usage);
  });
  spec.declare(cmd);
  if (INTERSPERSED_OFF.has(spec.name)) cmd.passThroughOptions();
  cmd.action(async (...actionArgs: unknown[]) => {
    const self = actionArgs[actionArgs.length - 1] as Command;
    const flags = self.optsWithGlobals() as Record<string, unknown>;
    let opts: unknown;
    try {
      opts = spec.options(self.processedArgs as unknown[], flags);
    } catch (e) {
      if (e instanceof UsageError) {
        w.io.stderr.write(`${PROG}: ${e.message.replace(/'wharf [^']*'/, `'${path}'`)}\n\nUsage:  ${path} ${spec.usage}\n\n${/at least \d+ arguments?$/.test(e.message) ? 'See' : 'Run'} '${path} --help' for more information\n`);
        w.code = e.code;
        return;
      }
      throw e;
    }
    const client = w.makeClient(flags);
    try {
      w.code = await spec.run(opts, client, w.io);
    } catch (e) {
      w.io.stderr.write(`${errorText(e)}\n`);
      w.code = 1;
    } finally {
      client.close();
    }
  });
  return cmd;
}

/** The top-level program with every command (and the docker management groups). */
export function buildProgram(w: Wiring): Command {
  const program = new Command(PROG)
    .usage('[OPTIONS] COMMAND')
    .description('A self-sufficient runtime for containers (Docker-compatible)')
    .option('--config <string>', 'Location of client config files (default "~/.docker")')
    .option('-H, --host <host>', 'Daemon socket to connect to')
    .option('--tls', 'Use TLS; implied by --tlsverify')
    .addOption(new Option('--no-tls', 'Do not use TLS (--tls=false)').hideHelp())
    .option('--tlsverify', 'Use TLS and verify the remote (default: DOCKER_TLS_VERIFY)')
    .addOption(new Option('--no-tlsverify', 'Do not verify the remote (--tlsverify=false)').hideHelp())
    .option('--tlscacert <string>', 'Trust certs signed only by this CA (default "~/.docker/ca.pem", or $DOCKER_CERT_PATH)')
    .option('--tlscert <string>', 'Path to TLS certificate file (default "~/.docker/cert.pem")')
    .option('--tlskey <string>', 'Path to TLS key file (default "~/.docker/key.pem")')
    .option('-D, --debug', 'Enable debug mode', false)
    .option('-l, --log-level <string>', 'Set the logging level ("debug", "info", "warn", "error", "fatal")', 'info')
    .option('-v, --version', 'Print version information and quit')
    .option('-d, --daemon', 'Run the daemon (takes the flags of wharfd: -H, --data-root, --exec-root, -p, -D, -l)')
    .helpOption('--help', 'Print usage')
    .enablePositionalOptions()
    .configureOutput({ outputError: () => undefined })
    .exitOverride((err) => {
      throw new FlagError(err, PROG, '[OPTIONS] COMMAND');
    });
  program.on('option:version', () => {
    w.io.stdout.write(`Wharf version ${CLI_VERSION}, build wharf\n`);
    process.exit(0);
  });

  const containerCommands: AnySpec[] = [exec, attachCmd, restart, pause, unpause, rename, top, diff, exportCmd, cp, stats, commit, update];
  const topLevel: AnySpec[] = [run, create, ps, images, build, importCmd, insert, rmi, tag, logs, stop, kill, start, wait, rm, inspect, events, version, info, save, load, pull, push, login, logout, search, history, ...containerCommands];
  for (const s of topLevel) register(program, s, w);

  const container = program
    .command('container')
    .description('Manage containers')
    .usage('COMMAND')
    .helpOption('--help', 'Print usage')
    .exitOverride((err) => {
      throw new FlagError(err, `${PROG} container`, 'COMMAND');
    });
  const containerInspect: AnySpec = {
    ...inspect,
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Display detailed information on one or more containers',
    options: (a, f) => ({ ...(inspect.options(a, f) as object), type: 'container' }),
  };
  for (const [n, s, al] of [
    ['run', run],
    ['create', create],
    ['ls', ps, ['ps', 'list']],
    ['logs', logs],
    ['stop', stop],
    ['kill', kill],
    ['start', start],
    ['wait', wait],
    ['rm', rm, ['remove']],
    ['inspect', containerInspect],
    ['prune', containerPrune],
    ...containerCommands.map((s) => [s.name, s] as [string, AnySpec]),
  ] as [string, AnySpec, string[]?][]) {
    register(container, s, w, n, `${PROG} container`, al ?? []);
  }

  const image = program
    .command('image')
    .description('Manage images')
    .usage('COMMAND')
    .helpOption('--help', 'Print usage')
    .exitOverride((err) => {
      throw new FlagError(err, `${PROG} image`, 'COMMAND');
    });
  for (const [n, s, al] of [
    ['ls', images, ['list']],
    ['build', build],
    ['inspect', imageInspect],
    ['rm', rmi, ['remove']],
    ['tag', tag],
    ['import', importCmd],
    ['save', save],
    ['load', load],
    ['pull', pull],
    ['push', push],
    ['history', history],
    ['prune', imagePrune],
  ] as [string, AnySpec, string[]?][]) {
    register(image, s, w, n, `${PROG} image`, al ?? []);
  }

  const volume = program
    .command('volume')
    .description('Manage volumes')
    .usage('COMMAND')
    .helpOption('--help', 'Print usage')
    .exitOverride((err) => {
      throw new FlagError(err, `${PROG} volume`, 'COMMAND');
    });
  for (const s of [volumeCreate, volumeLs, volumeInspect, volumeRm, volumePrune]) register(volume, s, w, s.name, `${PROG} volume`);

  // Wharf's own groups: the journal's integrity, and the quarantine of files it does not know.
  for (const [group, description, specs] of [
    ['journal', "Check, repair and audit Wharf's journal", [journalVerify, journalRepair, journalBuilds, journalExport, journalImport, journalAt, journalHistory, journalRebuild]],
    ['quarantine', 'Manage files kept aside because the journal does not know them', [quarantineLs, quarantinePrune]],
  ] as [string, string, AnySpec[]][]) {
    const g = program
      .command(group)
      .description(description)
      .usage('COMMAND')
      .helpOption('--help', 'Print usage')
      .exitOverride((err) => {
        throw new FlagError(err, `${PROG} ${group}`, 'COMMAND');
      });
    for (const s of specs) register(g, s, w, s.name, `${PROG} ${group}`);
  }

  // `port` (also `container port`) and the `network` group.
  register(program, port, w);
  register(container, port, w, 'port', `${PROG} container`);
  const network = program
    .command('network')
    .description('Manage networks')
    .usage('COMMAND')
    .helpOption('--help', 'Print usage')
    .exitOverride((err) => {
      throw new FlagError(err, `${PROG} network`, 'COMMAND');
    });
  for (const s of [networkConnect, networkCreate, networkDisconnect, networkInspect, networkLs, networkPrune, networkRm]) register(network, s, w, s.name, `${PROG} network`);

  const system = program
    .command('system')
    .description('Manage Wharf')
    .usage('COMMAND')
    .helpOption('--help', 'Print usage')
    .exitOverride((err) => {
      throw new FlagError(err, `${PROG} system`, 'COMMAND');
    });
  register(system, info, w, 'info', `${PROG} system`);
  register(system, events, w, 'events', `${PROG} system`);
  register(system, systemDf, w, 'df', `${PROG} system`);
  register(system, systemPrune, w, 'prune', `${PROG} system`);

  // `wharf daemon [flags]`: listed in the help; main() handles it before commander.
  program.command('daemon').description('Run the Wharf daemon (same flags as wharfd)').allowUnknownOption().allowExcessArguments();
  return program;
}

/** Run the CLI; resolves with the exit code (the daemon mode keeps running instead). */
export async function cli(argv: string[], io: IO = stdio): Promise<number | undefined> {
  const given = argv.slice(2);
  const { daemon, sub } = scanGlobals(given);
  const args = daemon ? given : tlsBooleans(given, sub);
  if (daemon) {
    await runDaemonMode(args.filter((a) => a !== '-d' && a !== '--daemon'));
    return undefined;
  }
  if (sub >= 0 && args[sub] === 'daemon') {
    await runDaemonMode([...args.slice(0, sub), ...args.slice(sub + 1)]);
    return undefined;
  }
  const w: Wiring = {
    io,
    code: 0,
    makeClient: (flags) => {
      const debug = Boolean(flags.debug);
      const tls = resolveTls({ tls: flags.tls as boolean | undefined, tlsverify: flags.tlsverify as boolean | undefined, tlscacert: flags.tlscacert as string | undefined, tlscert: flags.tlscert as string | undefined, tlskey: flags.tlskey as string | undefined, config: flags.config as string | undefined });
      return new Client(flags.host as string | undefined, debug ? (m) => io.stderr.write(`DEBU[0000] ${m}\n`) : undefined, tls);
    },
  };
  const program = buildProgram(w);
  if (sub < 0 && !args.some((a) => a === '-v' || a === '--version' || a === '--help')) {
    // Global options only (or nothing): docker prints the help and succeeds.
    try {
      program.parseOptions(args);
    } catch {
      // reported below by the full parse
    }
    io.stdout.write(program.helpInformation());
    return 0;
  }
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    if (e instanceof FlagError) return reportFlagError(io, e);
    io.stderr.write(`${errorText(e)}\n`);
    return 1;
  }
  return w.code;
}

function reportFlagError(io: IO, e: FlagError): number {
  const { err } = e;
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version') return 0;
  if (err.code === 'commander.executeSubCommandAsync') return 0;
  if (err.code === 'commander.unknownCommand') {
    const m = /unknown command '([^']+)'/.exec(err.message);
    io.stderr.write(`${PROG}: unknown command: ${e.path} ${m ? m[1] : ''}\n\nRun '${e.path} --help' for more information\n`);
    return 1;
  }
  if (err.code === 'commander.excessArguments') {
    io.stderr.write(`${PROG}: '${e.path}' accepts no arguments\n\nUsage:  ${e.path} ${e.usage}\n\nRun '${e.path} --help' for more information\n`);
    return 1;
  }
  io.stderr.write(`${flagMessage(err)}\n\nUsage:  ${e.path} ${e.usage}\n\nRun '${e.path} --help' for more information\n`);
  return 125;
}

/** Entry point of bin/wharf. */
export async function main(argv: string[]): Promise<void> {
  // A closed pipe (`wharf logs x | head -1`) ends the CLI quietly, as it does docker.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  let code: number | undefined;
  try {
    code = await cli(argv);
  } catch (e) {
    process.stderr.write(`${errorText(e)}\n`);
    code = 1;
  }
  if (code === undefined) return; // the daemon runs on
  process.exitCode = code;
  // Open sockets (a followed log, an attach) must not keep the CLI alive.
  process.stdout.write('', () => process.exit(code));
}
