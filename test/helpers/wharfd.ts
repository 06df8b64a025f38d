import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';

export const ROOT = path.resolve(__dirname, '../../..');
export const DOCKER = process.env.DOCKER_CLI ?? '/usr/local/bin/docker';
export const BUSYBOX_TAR = path.join(ROOT, 'build', 'busybox.tar');

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A real wharfd on a temp socket, data root and exec root. cleanup() removes everything it
 * made (containers, conmon processes, mounts, files) even when a test failed.
 */
export class TestDaemon {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-test-'));
  readonly sock = path.join(this.dir, 'wharfd.sock');
  readonly dataRoot = path.join(this.dir, 'data');
  readonly execRoot = path.join(this.dir, 'run');
  proc?: ChildProcess;
  log = '';
  /** The daemon to run: this checkout's, or another build's (the upgrade test runs the previous release's). */
  wharfdBin = path.join(ROOT, 'bin', 'wharfd');

  get host(): string {
    return `unix://${this.sock}`;
  }

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, DOCKER_HOST: this.host, DOCKER_CONFIG: path.join(this.dir, 'docker-config') };
  }

  /** false: start() gives no --data-root (a test that sets it with -g or daemon.json). */
  passDataRoot = true;

  /** The bridge this daemon was started with (tests that want networking pass -b and --bip). */
  bridge?: string;
  /** Bridges of user-defined networks this daemon made (seen before each stop): cleanup removes them. */
  readonly networkBridges = new Set<string>();

  /** Note the bridges of the daemon's user-defined networks, while it answers. */
  async rememberNetworks(): Promise<void> {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const r = await api(this.sock, 'GET', '/networks').catch(() => undefined);
    if (r?.status !== 200) return;
    for (const n of JSON.parse(r.body) as { Id: string; Name: string; Options?: Record<string, string> }[]) {
      if (['bridge', 'host', 'none'].includes(n.Name)) continue;
      this.networkBridges.add(n.Options?.['com.docker.network.bridge.name'] || `br-${n.Id.slice(0, 12)}`);
    }
  }

  /** env: extra environment for wharfd (e.g. WHARF_CRASH_AT, test-only). */
  async start(extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<void> {
    // No bridge unless the test asks for one: daemons of concurrent test runs must not share wharf0.
    const b = extra.findIndex((a) => a === '-b' || a === '--bridge');
    if (b < 0) extra = ['--bridge', 'none', ...extra];
    else if (extra[b + 1] !== 'none') this.bridge = extra[b + 1];
    const args = ['-H', this.host, ...(this.passDataRoot ? ['--data-root', this.dataRoot] : []), '--exec-root', this.execRoot, '--pidfile', path.join(this.dir, 'wharfd.pid'), ...extra];
    const proc = spawn(this.wharfdBin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.proc = proc;
    proc.stdout?.on('data', (d: Buffer) => (this.log += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (this.log += d.toString()));
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`wharfd exited: ${this.log}`);
      if (await ping(this.sock)) return;
      await sleep(50);
    }
    throw new Error(`wharfd did not come up: ${this.log}`);
  }

  /** Wait (bounded) for the daemon process to exit on its own, e.g. at a crash point. */
  async exited(timeoutMs = 15_000): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    let timer: NodeJS.Timeout | undefined;
    const gone = await Promise.race([new Promise<boolean>((r) => p.once('exit', () => r(true))), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)))]);
    clearTimeout(timer);
    if (!gone) throw new Error(`wharfd did not exit within ${timeoutMs} ms`);
  }

  /** kill -9: containers stay up under conmon. */
  async kill9(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    await this.rememberNetworks();
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await this.rememberNetworks();
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
    clearTimeout(timer);
    if (p.exitCode === null && p.signalCode === null) await this.kill9();
  }

  docker(args: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): Result {
    return runSync(DOCKER, args, this.env, opts);
  }

  /** docker that must succeed: its stdout. */
  dockerOk(args: string[]): string {
    const r = this.docker(args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  /** docker that must fail: its stderr. */
  dockerFails(args: string[]): string {
    const r = this.docker(args);
    assert.notEqual(r.code, 0, `docker ${args.join(' ')} should fail: ${r.stdout}`);
    return r.stderr;
  }

  /** wharf that must succeed: its stdout. */
  wharfOk(args: string[]): string {
    const r = this.wharf(args);
    assert.equal(r.code, 0, `wharf ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  wharf(args: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): Result {
    return runSync(path.join(ROOT, 'bin', 'wharf'), args, this.env, opts);
  }

  /** The built-in default image, imported through the API. */
  importBusybox(): void {
    const r = this.docker(['import', BUSYBOX_TAR, 'busybox:latest']);
    if (r.code !== 0) throw new Error(`import failed: ${r.stderr}`);
  }

  /** Remove every trace: daemon, containers, monitors, mounts, files. */
  async cleanup(): Promise<void> {
    await this.stop().catch(() => undefined);
    const runcRoot = path.join(this.execRoot, 'runc');
    if (existsSync(runcRoot)) {
      for (const id of readdirSync(runcRoot)) {
        spawnSync('runc', ['--root', runcRoot, 'delete', '--force', id], { stdio: 'ignore' });
      }
    }
    // conmon processes of this daemon are recognised by the exec root in their arguments.
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (cmd.startsWith('/usr/bin/conmon') && cmd.includes(this.execRoot)) process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone already
      }
    }
    const mounts = readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1])
      .filter((m) => m && m.startsWith(this.dir))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
    for (const b of [...(this.bridge ? [this.bridge] : []), ...this.networkBridges]) {
      for (const family of ['ip', 'ip6']) spawnSync('nft', ['delete', 'table', family, `wharf_${b.replace(/[^A-Za-z0-9_]/g, '_')}`], { stdio: 'ignore' });
      for (const dir of ['-i', '-o']) spawnSync('iptables', ['-D', 'FORWARD', dir, b, '-j', 'ACCEPT', '-m', 'comment', '--comment', 'wharf'], { stdio: 'ignore' });
      spawnSync('ip', ['link', 'del', b], { stdio: 'ignore' });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A daemon with busybox imported for the tests of one file: started before them, cleaned up after. */
export function daemonForFile(): TestDaemon {
  const d = new TestDaemon();
  before(async () => {
    await d.start();
    d.importBusybox();
  });
  after(async () => {
    await d.cleanup();
  });
  return d;
}

export function runSync(cmd: string, args: string[], env: NodeJS.ProcessEnv, opts: { input?: string | Buffer; timeoutMs?: number } = {}): Result {
  const r = spawnSync(cmd, args, { env, input: opts.input, timeout: opts.timeoutMs ?? 60_000, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status ?? (r.signal ? 128 : -1), stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Async variant for commands that run while the test does something else. */
export function runAsync(cmd: string, args: string[], env: NodeJS.ProcessEnv): { proc: ChildProcess; done: Promise<Result> } {
  const proc = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Result>((resolve) => proc.on('close', (code) => resolve({ code: code ?? 128, stdout, stderr })));
  return { proc, done };
}

export function ping(sock: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath: sock, path: '/_ping', method: 'GET', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

/** A raw API request over the socket (for malformed input the CLIs would never send). */
export function api(sock: string, method: string, p: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: sock, path: p, method, headers }, (res) => {
      let data = '';
      res.on('data', (d: Buffer) => (data += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data, headers: res.headers }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll until fn returns a truthy value, or fail after the timeout. */
export async function eventually<T>(fn: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}
