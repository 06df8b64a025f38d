import { spawn } from 'node:child_process';
import { constants as fsConstants, mkdirSync, openSync, promises as fsp, readFileSync, readSync, rmSync, statSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { Socket } from 'node:net';
import path from 'node:path';
import { run } from './exec';
import { spawnMonitorProcess, type MonitorProcess } from './monitor-spawn';
import { linkSealedCopy } from './sealed-runc';
import { SpecPipe } from './spec-pipe';
import { WarmMonitors } from './warm-monitors';

export interface RuntimePaths {
  /** Where runc keeps its state (--root). */
  runcRoot: string;
  /** Bundles: config.json, pidfiles, attach socket, ctl fifo. */
  bundles: string;
  /** conmon writes <id> here with the exit code when the container exits. */
  exits: string;
  persist: string;
  /** Where the link to the daemon's sealed copy of runc goes (see linkSealedCopy); none: conmon runs runc itself. */
  bin?: string;
}

/** What conmon is started with (before the container's spec exists). */
export interface MonitorOptions {
  id: string;
  logPath: string;
  /** conmon's --log-size-max: past it, conmon reopens the log itself (see runtime/log-files.ts). */
  logSizeMax?: number;
  tty: boolean;
  stdin: boolean;
  /** Keep the container's stdin open when an attached client goes away. */
  leaveStdinOpen: boolean;
}

/** A conmon spawned and waiting for the spec: start() creates and runs the container under it, cancel() ends it. */
export interface PendingStart {
  /** Spawned ahead of the start, by prewarm(). */
  readonly prewarmed: boolean;
  /** conmon is gone already (it failed, or was killed while it waited): it can start nothing. */
  readonly exited: boolean;
  start(o: Omit<StartOptions, keyof MonitorOptions>): Promise<Started>;
  /** For a start refused before start(): conmon ends (killed, or its runc fails without a spec); nothing was made. */
  cancel(): void;
}

export interface StartOptions extends MonitorOptions {
  spec: Record<string, unknown>;
  /** Runs once the process exists but before it starts (runc create → here → runc start): networking. */
  beforeStart?: (pid: number) => Promise<void>;
  /** A phase of the start is over (bundle, conmon spawn, runc create, network, runc start): the -D trace. */
  onPhase?: (phase: string) => void;
  /** Test-only hook: conmon was spawned and has not reported yet (a crash point). */
  onSpawned?: () => void;
  /** Test-only hook: the container's init is about to be released (`false`, as `runc start` would be run) or was just released (`true`). */
  onResume?: (spawned: boolean) => void;
}

export interface Started {
  pid: number;
  conmonPid: number;
}

export interface ExitRecord {
  exitCode: number;
  finishedAt: Date;
}

export class StartError extends Error {}

export interface ExecOptions {
  /** The container's id. */
  id: string;
  /** The exec session's id: names its directory, log, attach socket and control FIFO. */
  execId: string;
  /** A complete OCI process (runc exec --process). */
  process: Record<string, unknown>;
  tty: boolean;
  stdin: boolean;
}

export interface ExecStarted {
  pid: number;
  conmonPid: number;
  /** Output as conmon logs it (k8s-file). */
  logPath: string;
  /** Settles with the process's exit code (conmon's second message on the sync pipe). */
  exited: Promise<number>;
}

/**
 * The OCI runtime driver: each container runs under its own conmon, which runs `runc create`
 * and keeps stdio, logs and the exit code whether or not the daemon is alive.
 */
export class RuncConmonRuntime {
  private watcher?: FSWatcher;
  /** The runc conmon runs: the link to the sealed copy once init() made it, else runc itself. */
  private monitorRunc: string;
  /** conmons spawned for the start a create is likely followed by (see prewarm). */
  private readonly warm = new WarmMonitors<PendingStart>();
  /** Containers whose conmon a start holds (taken or spawned, not yet settled): none is prewarmed beside it. */
  private readonly live = new Set<string>();
  /**
   * Cancelled conmons not yet gone, by container: the next one for it waits (both would use the
   * bundle; a runc still starting up could read the new one's spec).
   */
  private readonly ending = new Map<string, Promise<void>>();

  constructor(
    readonly paths: RuntimePaths,
    readonly runc = '/usr/sbin/runc',
    readonly conmon = '/usr/bin/conmon',
  ) {
    this.monitorRunc = runc;
  }

  async init(): Promise<void> {
    for (const d of Object.values(this.paths)) if (d) await fsp.mkdir(d, { recursive: true });
    if (this.paths.bin) this.monitorRunc = linkSealedCopy(this.runc, this.paths.bin);
  }

  bundleDir(id: string): string {
    return path.join(this.paths.bundles, id);
  }

  /** Create under conmon, wait for conmon to report the pid on the sync pipe, then release the process. */
  async start(o: StartOptions): Promise<Started> {
    return (await this.monitor(o)).start(o);
  }

  /**
   * A conmon for the start of a container just created, spawned now (after the create's
   * answer): conmon's exec and start-up, and runc's own up to its read of the spec (some ms of
   * CPU each here), are then done when the start comes. monitor() with the same options takes
   * it; otherwise it is ended after ttlMs (a few seconds unless given) or by cleanup(). One
   * already waiting for the container with other options is ended instead (the start spawns its
   * own once that one is gone); with the same options, its time starts again.
   */
  prewarm(o: MonitorOptions, ttlMs?: number): void {
    if (this.live.has(o.id) || this.ending.has(o.id)) return;
    this.warm.offer(o.id, monitorKey(o), () => this.spawnMonitor(o, true), ttlMs);
  }

  /** The conmon prewarm() spawned for this container, if one waits, is ended: no start is to take it. */
  unwarm(id: string): void {
    this.warm.drop(id);
  }

  /**
   * The container's conmon, waiting for the spec: the one prewarm() spawned for these options,
   * else one spawned now.
   */
  async monitor(o: MonitorOptions): Promise<PendingStart> {
    this.live.add(o.id);
    const warm = this.warm.take(o.id, monitorKey(o));
    if (warm && !warm.exited) return warm;
    warm?.cancel();
    try {
      await this.ending.get(o.id);
      return this.spawnMonitor(o);
    } catch (e) {
      this.live.delete(o.id);
      throw e;
    }
  }

  /**
   * Spawn the container's conmon now. With the addon, config.json is a pipe (spec-pipe.ts) and
   * conmon is told to go on at once: it runs `runc create`, which starts up and waits for the
   * spec while the caller records its intent and mounts the root; start() writes the spec.
   * Without it, conmon waits on its start pipe (_OCI_STARTPIPE) until start() has written
   * config.json. Either way nothing is created before start(), and a daemon killed before
   * then leaves nothing: runc finds no spec and fails, conmon exits. cancel() ends it so.
   */
  private spawnMonitor(o: MonitorOptions, prewarmed = false): PendingStart {
    const bundle = this.bundleDir(o.id);
    // Synchronous: small files and directories, cheaper than their trips through libuv's
    // thread pool (a bundle left by an earlier run holds at most a few files).
    rmSync(bundle, { recursive: true, force: true });
    mkdirSync(bundle, { recursive: true });
    rmSync(path.join(this.paths.exits, o.id), { force: true });
    const persist = path.join(this.paths.persist, o.id);
    mkdirSync(persist, { recursive: true });
    const args = [
      '--api-version', '1', '-c', o.id, '-u', o.id, '-n', o.id, '-r', this.monitorRunc, '-b', bundle,
      '-p', path.join(bundle, 'pidfile'), '-P', path.join(bundle, 'conmon.pid'),
      '--exit-dir', this.paths.exits, '--persist-dir', persist, '-l', `k8s-file:${o.logPath}`,
      ...(o.logSizeMax ? ['--log-size-max', String(o.logSizeMax)] : []),
      // No fsync of the log between the process's end and its exit file (Docker's loggers do
      // not sync either): the exit is reported sooner, and only a power loss loses log lines.
      '--no-sync-log',
      '--log-level', 'warning', '--full-attach', '--socket-dir-path', bundle,
      '--runtime-arg', '--root', '--runtime-arg', this.paths.runcRoot,
      ...(o.tty ? ['-t'] : []), ...(o.stdin ? ['-i'] : []), ...(o.stdin && o.leaveStdinOpen ? ['--leave-stdin-open'] : []),
    ];
    const specPipe = SpecPipe.open(bundle);
    const child = spawnMonitorProcess(this.conmon, args, { _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4', PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' });
    const messages = syncMessages(child);
    const startPipe = child.start;
    startPipe.on('error', () => undefined); // conmon gone: the sync pipe says so
    if (specPipe) startPipe.end('s');
    let state: 'waiting' | 'going' | 'cancelled' = 'waiting';
    let exited = false;
    void messages.gone.then(() => (exited = true));
    return {
      prewarmed,
      get exited() {
        return exited;
      },
      start: async (s) => {
        if (state !== 'waiting') throw new StartError('conmon was cancelled');
        state = 'going';
        if (specPipe) {
          specPipe.write(s.spec);
        } else {
          writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(s.spec));
          startPipe.end('s');
        }
        s.onPhase?.('bundle');
        s.onSpawned?.();
        let pid: number;
        try {
          const first = await messages.next();
          if (first.data < 0) throw new StartError(first.message ?? 'container create failed');
          pid = first.data;
        } finally {
          messages.close();
          specPipe?.close(); // runc create is over: it read the spec, or failed
          this.live.delete(o.id);
        }
        s.onPhase?.('runcCreate');
        if (s.beforeStart) {
          try {
            await s.beforeStart(pid);
          } catch (e) {
            await this.delete(o.id, true).catch(() => undefined);
            throw e;
          }
          s.onPhase?.('network');
        }
        await this.releaseInit(o.id, pid, s.onResume);
        s.onPhase?.('runcStart');
        specPipe?.keep(s.spec);
        const conmonPid = Number(readOr(path.join(bundle, 'conmon.pid'), '0'));
        s.onPhase?.('conmonPid');
        return { pid, conmonPid };
      },
      cancel: () => {
        if (state !== 'waiting') return;
        state = 'cancelled';
        this.live.delete(o.id);
        const ending = Promise.race([messages.gone, new Promise<void>((resolve) => setTimeout(resolve, 5000).unref())]).then(() => {
          messages.close();
          specPipe?.closeRead();
          if (this.ending.get(o.id) === ending) this.ending.delete(o.id);
        });
        this.ending.set(o.id, ending);
        if (specPipe) {
          // runc waits for the spec: without it, it fails, and conmon exits after it.
          specPipe.closeWrite();
          return;
        }
        // Still blocked on its start pipe, before its fork: child.pid is conmon itself.
        try {
          child.kill('SIGKILL');
        } catch {
          // gone
        }
        startPipe.destroy();
      },
    };
  }

  /**
   * Processes whose command line names this container's bundle: its conmon, and a `runc create`
   * conmon started; and any runc naming the container by id (the daemon's own `runc start`).
   * A daemon killed during a start leaves them running for a while: conmon then dies as it
   * reports to the dead daemon, runc create may finish after it, and runc start may run the
   * process after boot has looked.
   */
  async processesOf(ids: string[]): Promise<Map<string, { pid: number; conmon: boolean }[]>> {
    const byBundle = new Map(ids.map((id) => [this.bundleDir(id), id]));
    const found = new Map(ids.map((id) => [id, [] as { pid: number; conmon: boolean }[]]));
    for (const p of await fsp.readdir('/proc')) {
      if (!/^\d+$/.test(p)) continue;
      const args = (await fsp.readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '')).split('\0');
      const conmon = args[0] === this.conmon || path.basename(args[0]) === 'conmon';
      // A `runc start|kill|delete <id>` names the container by id only, never by its bundle.
      const runc = args[0] === this.runc || path.basename(args[0]) === 'runc';
      for (const a of args) {
        const id = byBundle.get(a) ?? (runc && found.has(a) ? a : undefined);
        if (id && !found.get(id)!.some((x) => x.pid === Number(p))) found.get(id)!.push({ pid: Number(p), conmon });
      }
    }
    return found;
  }

  /** Where an exec session keeps its process spec, log, attach socket and exit file. */
  execDir(id: string, execId: string): string {
    return path.join(this.bundleDir(id), 'exec', execId);
  }

  /**
   * Run a process in a running container under its own conmon (`conmon --exec`), which holds
   * its stdio (or terminal), logs its output and reports its exit code.
   */
  async exec(o: ExecOptions): Promise<ExecStarted> {
    const dir = this.execDir(o.id, o.execId);
    await fsp.mkdir(dir, { recursive: true });
    const spec = path.join(dir, 'process.json');
    await fsp.writeFile(spec, JSON.stringify(o.process));
    const logPath = path.join(dir, 'exec.log');
    const args = [
      '--api-version', '1', '-c', o.id, '-u', o.execId, '-n', o.execId, '-r', this.monitorRunc, '-b', dir,
      '-p', path.join(dir, 'pidfile'), '-P', path.join(dir, 'conmon.pid'),
      // The exit file lands in the session's own directory, never among the containers' exits.
      '--exit-dir', dir, '--persist-dir', dir, '-l', `k8s-file:${logPath}`,
      '--log-level', 'warning', '--full-attach', '--socket-dir-path', dir,
      '--runtime-arg', '--root', '--runtime-arg', this.paths.runcRoot,
      '--exec', '--exec-process-spec', spec,
      ...(o.tty ? ['-t'] : []), ...(o.stdin ? ['-i'] : []),
    ];
    const child = spawn(this.conmon, args, {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      env: { _OCI_SYNCPIPE: '3', PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
      detached: true,
    });
    child.unref();
    const messages = syncMessages({ sync: child.stdio[3] as MonitorProcess['sync'], stderr: child.stderr!, onError: (cb) => child.on('error', cb) });
    const first = await messages.next();
    if (first.data < 0) {
      messages.close();
      throw new StartError(first.message ?? 'exec failed');
    }
    const conmonPid = Number(await fsp.readFile(path.join(dir, 'conmon.pid'), 'utf8').catch(() => '0'));
    const exited = messages.next().then(
      (m) => m.data,
      // conmon gone without a word (killed): its exit file is the last witness.
      async () => {
        const text = await fsp.readFile(path.join(dir, o.id), 'utf8').catch(() => '');
        return /^-?\d+\s*$/.test(text) ? Number(text.trim()) : -1;
      },
    );
    return { pid: first.data, conmonPid, logPath, exited };
  }

  /** Terminal size of an exec session with a tty. */
  async resizeExec(id: string, execId: string, rows: number, cols: number): Promise<void> {
    await writeCtl(path.join(this.execDir(id, execId), 'ctl'), rows, cols);
  }

  execAttachSocket(id: string, execId: string): string {
    return path.join(this.execDir(id, execId), 'attach');
  }

  /**
   * What `runc start` does, without the exec of runc (its Go runtime's start costs more than
   * the rest of it): open the exec FIFO runc's init waits on, read the byte it writes as it
   * goes on to exec the process, and remove the FIFO, which makes runc's state "running".
   * A daemon killed before the byte was read leaves runc's state "created" (boot fails the
   * start: its init is killed); after the FIFO is gone, a running container (boot adopts it).
   * The FIFO is opened without blocking, so an init that died meanwhile cannot hang a thread
   * of the pool: its pid is checked while we wait, as runc start does. Its errors are runc
   * start's words (plain errors, not a create's StartError).
   */
  private async releaseInit(id: string, pid: number, onResume?: (released: boolean) => void): Promise<void> {
    const fifo = path.join(this.paths.runcRoot, id, 'exec.fifo');
    onResume?.(false);
    let fd: number;
    try {
      fd = openSync(fifo, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
    } catch (e) {
      throw new Error(`cannot start the container: ${(e as Error).message}`);
    }
    const pipe = new Socket({ fd, readable: true, writable: false });
    try {
      await new Promise<void>((resolve, reject) => {
        const done = (e?: Error) => {
          clearInterval(poll);
          if (e) reject(e);
          else resolve();
        };
        const poll = setInterval(() => {
          if (isAlive(pid)) return;
          // It may have run and ended already (a `true`): its byte is then in the FIFO, read
          // here, since this timer can run before the pipe's read in the same turn of the loop.
          try {
            if (readSync(fd, Buffer.alloc(1), 0, 1, null) > 0) return done();
          } catch {
            // EAGAIN: nothing was written
          }
          done(new Error('container process is already dead'));
        }, 50);
        pipe.once('data', () => done());
        // The writer closed without a byte: its init failed.
        pipe.once('end', () => done(new Error('container process is already dead')));
        pipe.once('error', (e) => done(new Error(e.message)));
      });
    } finally {
      pipe.destroy();
    }
    rmSync(fifo, { force: true });
    onResume?.(true);
  }

  /** `runc start` for a container conmon has created (boot recovery). */
  async resume(id: string): Promise<void> {
    await run(this.runc, ['--root', this.paths.runcRoot, 'start', id]);
  }

  attachSocket(id: string): string {
    return path.join(this.bundleDir(id), 'attach');
  }

  /** Ask the container's conmon to reopen its log file (control message 2: a rotation). */
  async reopenLog(id: string): Promise<void> {
    const fh = await fsp.open(path.join(this.bundleDir(id), 'ctl'), fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
    try {
      await fh.write('2 0 0\n');
    } finally {
      await fh.close();
    }
  }

  /** Set the terminal size of a tty container (conmon's control FIFO). */
  async resize(id: string, rows: number, cols: number): Promise<void> {
    await writeCtl(path.join(this.bundleDir(id), 'ctl'), rows, cols);
  }

  async pause(id: string): Promise<void> {
    await run(this.runc, ['--root', this.paths.runcRoot, 'pause', id]);
  }

  async unpause(id: string): Promise<void> {
    await run(this.runc, ['--root', this.paths.runcRoot, 'resume', id]);
  }

  /** Whether the kernel's OOM killer struck in the container's memory cgroup (v1). */
  async oomKilled(cgroupsPath: string): Promise<boolean> {
    const text = await fsp.readFile(path.join('/sys/fs/cgroup/memory', cgroupsPath, 'memory.oom_control'), 'utf8').catch(() => '');
    const m = /oom_kill (\d+)/.exec(text);
    return !!m && Number(m[1]) > 0;
  }

  async kill(id: string, signal: string, all = false): Promise<void> {
    await run(this.runc, ['--root', this.paths.runcRoot, 'kill', ...(all ? ['--all'] : []), id, signal]);
  }

  /** Forget runc's state of a stopped container (force: kill it first). */
  async delete(id: string, force = false): Promise<void> {
    if (await this.forgetExited(id)) return;
    await run(this.runc, ['--root', this.paths.runcRoot, 'delete', ...(force ? ['--force'] : []), id]).catch((e: Error) => {
      if (!/does not exist|not exist/.test(e.message)) throw e;
    });
  }

  /**
   * What `runc delete` does for a container whose init has exited and whose spec has no hooks
   * (the daemon's specs have none), without running runc (a fork, an exec and some 20 ms of
   * CPU at every exit): its cgroups, as its state.json lists them, then its state dir. False,
   * leaving it all to runc, for anything else: an init still alive, hooks, a cgroup that does
   * not go (a process left in it, or cgroups made inside it).
   */
  private async forgetExited(id: string): Promise<boolean> {
    const dir = path.join(this.paths.runcRoot, id);
    let st: { init_process_pid?: number; init_process_start?: number; cgroup_paths?: Record<string, string>; intel_rdt_path?: string; config?: { hooks?: unknown } };
    try {
      st = JSON.parse(await fsp.readFile(path.join(dir, 'state.json'), 'utf8'));
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ENOENT' && !(await fsp.access(dir).then(() => true, () => false));
    }
    if (!st.init_process_pid || st.config?.hooks || st.intel_rdt_path || (await processStarted(st.init_process_pid)) === st.init_process_start) return false;
    const cgroups = [...new Set(Object.values(st.cgroup_paths ?? {}))].filter((p) => typeof p === 'string' && p.startsWith('/sys/fs/cgroup/') && !p.includes('..'));
    for (const cg of cgroups) if (!(await removeCgroup(cg))) return false;
    await fsp.rm(dir, { recursive: true, force: true });
    return true;
  }

  /**
   * Forget a container whose process never ran (a start that failed or was cut): runc's state
   * goes (force: its waiting init is killed), and so does the exit its conmon then writes once
   * it is gone, which would otherwise read as the end of the next start.
   */
  async abandon(id: string): Promise<void> {
    const conmonPid = Number(await fsp.readFile(path.join(this.bundleDir(id), 'conmon.pid'), 'utf8').catch(() => '0'));
    await this.delete(id, true);
    for (let i = 0; i < 100 && isAlive(conmonPid); i++) await new Promise((r) => setTimeout(r, 20));
    await fsp.rm(path.join(this.paths.exits, id), { force: true });
  }

  /** runc's view: "running", "stopped", "created", "paused", or undefined if unknown. */
  async state(id: string): Promise<{ status: string; pid: number } | undefined> {
    try {
      const { stdout } = await run(this.runc, ['--root', this.paths.runcRoot, 'state', id]);
      const s = JSON.parse(stdout) as { status: string; pid: number };
      return { status: s.status, pid: s.pid };
    } catch {
      return undefined;
    }
  }

  async readExit(id: string): Promise<ExitRecord | undefined> {
    const file = path.join(this.paths.exits, id);
    try {
      // Synchronous: a few bytes, read as the exit is reported (a `run --rm` waits on it).
      const text = readFileSync(file, 'utf8');
      const st = statSync(file);
      if (!/^-?\d+\s*$/.test(text)) return undefined;
      return { exitCode: Number(text.trim()), finishedAt: st.mtime };
    } catch {
      return undefined;
    }
  }

  /** Remove everything the runtime keeps for a container that is gone. */
  async cleanup(id: string): Promise<void> {
    this.warm.drop(id);
    await Promise.all([
      fsp.rm(this.bundleDir(id), { recursive: true, force: true }),
      fsp.rm(path.join(this.paths.exits, id), { force: true }),
      fsp.rm(path.join(this.paths.persist, id), { recursive: true, force: true }),
    ]);
  }

  /** Call back for every exit file conmon writes. */
  watchExits(onExit: (id: string) => void): void {
    this.watcher = watch(this.paths.exits, (_ev, file) => {
      if (file && /^[0-9a-f]{64}$/.test(file)) onExit(file);
    });
  }

  /** The daemon stops: no more exit files are watched, and no conmon waits for a start. */
  stopWatching(): void {
    this.watcher?.close();
    this.warm.dropAll();
  }
}

/** What conmon is started with, as one string (a StartOptions has more). */
function monitorKey(o: MonitorOptions): string {
  return JSON.stringify([o.id, o.logPath, o.logSizeMax, o.tty, o.stdin, o.leaveStdinOpen]);
}

function readOr(file: string, dflt: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return dflt;
  }
}

export function isAlive(pid: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie answers kill(0) but is dead: an orphaned conmon waits as one until its new parent
  // reaps it, which an init that does not reap (some VMs' and containers' pid 1) never does.
  try {
    return !/^[ZX]$/.test(statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'))[0]);
  } catch {
    return false;
  }
}

/** /proc/<pid>/stat's fields from the third (state) on: the command name (field 2) is in parentheses and may hold spaces. */
function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

async function writeCtl(fifo: string, rows: number, cols: number): Promise<void> {
  const fh = await fsp.open(fifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
  try {
    await fh.write(`1 ${rows} ${cols}\n`);
  } finally {
    await fh.close();
  }
}

interface SyncMessage {
  data: number;
  message?: string;
}

/** conmon's JSON messages on the sync pipe, one at a time; rejects once the pipe ends. */
function syncMessages(child: Pick<MonitorProcess, 'sync' | 'stderr' | 'onError'>): { next(): Promise<SyncMessage>; close(): void; gone: Promise<void> } {
  const pipe = child.sync;
  let buf = '';
  let stderr = '';
  let ended = false;
  const queue: SyncMessage[] = [];
  const waiters: { resolve(m: SyncMessage): void; reject(e: Error): void }[] = [];
  let wentAway!: () => void;
  // conmon closed its end: it exited (its runc does not hold the pipe).
  const gone = new Promise<void>((resolve) => (wentAway = resolve));
  const fail = () => {
    ended = true;
    wentAway();
    for (const w of waiters.splice(0)) w.reject(new StartError(stderr.trim() || 'conmon exited before reporting'));
  };
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  pipe.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let m = /\{[^}]*"data"[^}]*\}/.exec(buf); m; m = /\{[^}]*"data"[^}]*\}/.exec(buf)) {
      buf = buf.slice(m.index + m[0].length);
      let msg: SyncMessage;
      try {
        msg = JSON.parse(m[0]) as SyncMessage;
      } catch {
        msg = { data: -1, message: `bad message from conmon: ${m[0]}` };
      }
      const w = waiters.shift();
      if (w) w.resolve(msg);
      else queue.push(msg);
    }
  });
  pipe.on('end', fail);
  pipe.on('error', fail);
  child.onError((e) => {
    stderr += `cannot run conmon: ${e.message}`;
    fail();
  });
  return {
    next() {
      const m = queue.shift();
      if (m) return Promise.resolve(m);
      if (ended) return Promise.reject(new StartError(stderr.trim() || 'conmon exited before reporting'));
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    close() {
      pipe.destroy();
    },
    gone,
  };
}

/** A process's start time (clock ticks after boot, /proc/<pid>/stat's 22nd field), undefined once it is gone. */
async function processStarted(pid: number): Promise<number | undefined> {
  const stat = await fsp.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!stat) return undefined;
  return Number(statFields(stat)[19]);
}

/** rmdir a container's cgroup; its last processes may still be leaving (EBUSY): a few tries, 5 ms apart. */
async function removeCgroup(dir: string): Promise<boolean> {
  for (let i = 0; i < 10; i++) {
    try {
      await fsp.rmdir(dir);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return true;
      if (code !== 'EBUSY') return false;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  return false;
}
