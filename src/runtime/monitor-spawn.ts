import { spawn } from 'node:child_process';
import { Socket } from 'node:net';
import { loadAddon } from '../native/addon';

/** A container's conmon as just started: the parent's ends of its pipes. */
export interface MonitorProcess {
  /** conmon's _OCI_SYNCPIPE (fd 3): its JSON messages. */
  sync: NodeJS.ReadableStream & { destroy(): void };
  stderr: NodeJS.ReadableStream;
  /** conmon's _OCI_STARTPIPE (fd 4): it waits for a write (or the end) before it does anything. */
  start: NodeJS.WritableStream & { destroy(): void };
  /** Sent once it is spawned (at once if it is). */
  kill(signal: NodeJS.Signals): void;
  /** The spawn or the exec failed (both reported once they are over). */
  onError(cb: (e: Error) => void): void;
}

interface NativeSpawn {
  spawn(file: string, argv: string[], env: string[], done: (err: Error | null, pid?: number) => void): [number, number, number];
  reap(pid: number): boolean;
  sealedCopy(file: string): number;
  pipe(): [number, number];
}

let native: NativeSpawn | null | undefined;

function loadNative(): NativeSpawn | null {
  if (native === undefined) native = process.env.WHARF_NO_NATIVE_SPAWN ? null : loadAddon<NativeSpawn>('spawnpipes.node');
  return native;
}

/**
 * Start conmon (detached, in its own session; stdin and stdout on /dev/null) with its sync
 * pipe on fd 3 and its start pipe on fd 4: by posix_spawn through the addon
 * (src/native/spawnpipes.c), which does not fork the daemon and waits for conmon's exec on a
 * thread of libuv's pool, else by child_process.spawn. Returns at once, with the pipes.
 */
export function spawnMonitorProcess(file: string, args: string[], env: Record<string, string>): MonitorProcess {
  const n = loadNative();
  if (!n) return nodeSpawn(file, args, env);
  let pid: number | undefined;
  let failure: Error | undefined;
  let pendingSignal: NodeJS.Signals | undefined;
  const onErrors: ((e: Error) => void)[] = [];
  const [syncFd, errFd, startFd] = n.spawn(file, [file, ...args], Object.entries(env).map(([k, v]) => `${k}=${v}`), (err, spawned) => {
    if (err) {
      failure = err;
      for (const cb of onErrors) cb(err);
      return;
    }
    pid = spawned!;
    reapLater(n, pid);
    if (pendingSignal) {
      try {
        process.kill(pid, pendingSignal);
      } catch {
        // gone already
      }
    }
  });
  const sync = new Socket({ fd: syncFd, readable: true, writable: false });
  const stderr = new Socket({ fd: errFd, readable: true, writable: false });
  const start = new Socket({ fd: startFd, readable: false, writable: true });
  // conmon's stderr is read only for its words on a failure: it must not keep the daemon up.
  stderr.unref();
  return {
    sync,
    stderr,
    start,
    kill: (signal) => {
      if (pid !== undefined) process.kill(pid, signal);
      else pendingSignal = signal;
    },
    onError: (cb) => {
      if (failure) cb(failure);
      else onErrors.push(cb);
    },
  };
}

/** A close-on-exec pipe, [read end, write end]; null without the addon. */
export function nativePipe(): [number, number] | null {
  return loadNative()?.pipe() ?? null;
}

/**
 * The file copied into a sealed memfd (no write, shrink or grow, ever), as a descriptor of the
 * daemon's; null without the addon. Throws if it cannot be read or copied.
 */
export function sealedCopy(file: string): number | null {
  return loadNative()?.sealedCopy(file) ?? null;
}

/**
 * The first conmon process exits as soon as it has forked its daemon half (once told to go
 * on, or killed): it is our child, and node's own reaping knows nothing of it.
 */
function reapLater(n: NativeSpawn, pid: number, delay = 20): void {
  setTimeout(() => {
    if (!n.reap(pid)) reapLater(n, pid, Math.min(delay * 2, 1000));
  }, delay).unref();
}

function nodeSpawn(file: string, args: string[], env: Record<string, string>): MonitorProcess {
  const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], env, detached: true });
  child.unref();
  return {
    sync: child.stdio[3] as NodeJS.ReadableStream & { destroy(): void },
    stderr: child.stderr!,
    start: child.stdio[4] as NodeJS.WritableStream & { destroy(): void },
    kill: (signal) => child.kill(signal),
    onError: (cb) => child.on('error', cb),
  };
}
