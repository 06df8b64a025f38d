'use strict';
// Shared pieces of the benchmarks: a wharfd (and, when installed, a real dockerd) on temp
// sockets, timing with the real docker CLI, and cleanup of everything started.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');
const DOCKER = process.env.DOCKER_CLI || '/usr/local/bin/docker';
const BUSYBOX_TAR = path.join(ROOT, 'build', 'busybox.tar');

// The same readiness probe the integration tests use (compiled by scripts/setup.sh).
const { ping } = require('../../dist/test/helpers/wharfd.js');

async function waitUp(sock, proc, what) {
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`${what} exited`);
    if (await ping(sock)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up`);
}

function docker(sock, args, opts = {}) {
  const r = spawnSync(DOCKER, args, { env: { ...process.env, DOCKER_HOST: `unix://${sock}` }, encoding: 'utf8', timeout: 120000, ...opts });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
  return r;
}

async function startWharfd() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-test-bench-'));
  const sock = path.join(dir, 'wharfd.sock');
  const proc = spawn(path.join(ROOT, 'bin', 'wharfd'), ['-H', `unix://${sock}`, '--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'run'), '--pidfile', path.join(dir, 'pid')], { stdio: 'ignore' });
  await waitUp(sock, proc, 'wharfd');
  docker(sock, ['import', BUSYBOX_TAR, 'busybox:latest']);
  return {
    name: 'wharfd',
    sock,
    pid: proc.pid,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 500));
      spawnSync(path.join(ROOT, 'scripts', 'clean-test-leftovers.sh'), { stdio: 'inherit' });
    },
  };
}

/** A real dockerd (apt docker.io), if installed, on its own socket and data root. */
async function startDockerd() {
  const which = spawnSync('sh', ['-c', 'command -v dockerd'], { encoding: 'utf8' });
  if (which.status !== 0) return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-bench-dockerd-'));
  const sock = path.join(dir, 'docker.sock');
  const proc = spawn('dockerd', ['-H', `unix://${sock}`, '--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec'), '--pidfile', path.join(dir, 'docker.pid'), '--bridge', 'none', '--iptables=false'], { stdio: 'ignore' });
  await waitUp(sock, proc, 'dockerd');
  docker(sock, ['import', BUSYBOX_TAR, 'busybox:latest']);
  return {
    name: 'docker',
    sock,
    pid: proc.pid,
    async stop() {
      docker(sock, ['rm', '-f', ...docker(sock, ['ps', '-aq']).stdout.split('\n').filter(Boolean)], { allowFail: true });
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      spawnSync('sh', ['-c', `grep " ${dir}" /proc/mounts | cut -d" " -f2 | sort -r | xargs -r umount -l`]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Wall time of one command, in seconds. */
function timeIt(fn) {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

module.exports = { ROOT, DOCKER, docker, startWharfd, startDockerd, median, timeIt };
