'use strict';
// Shared pieces of the benchmarks: a wharfd and a real dockerd (apt docker.io) on temp sockets,
// timing with the real docker CLI, memory of an engine's own processes, and cleanup of
// everything a bench started, even when it fails or is interrupted.
//
// Every bench dir is /tmp/wharfbench-*: no other cleanup pattern (/tmp/wharf-test-* of the
// tests and scripts/clean-test-leftovers.sh) matches it, and a bench cleans only its own dir.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');
const DOCKER = process.env.DOCKER_CLI || '/usr/local/bin/docker';
const BUSYBOX_TAR = path.join(ROOT, 'build', 'busybox.tar');
const CLEAN = path.join(ROOT, 'scripts', 'clean-test-leftovers.sh');
const DIR_PREFIX = 'wharfbench-';
// Each engine's bridge: wharfd's own, and dockerd's default docker0 (removed after unless it was there before).
const BENCH_BRIDGES = { wharfd: 'wbench0', dockerd: 'docker0' };

// The same readiness probe and raw API request the integration tests use (compiled by scripts/setup.sh).
const { ping, api } = require('../../dist/test/helpers/wharfd.js');
const { floorSamples, cleanupFloor } = require('./floor');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function docker(sock, args, opts = {}) {
  const env = { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: path.join(path.dirname(sock), 'docker-config') };
  const r = spawnSync(DOCKER, args, { env, encoding: 'utf8', timeout: 120000, maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`docker ${args.slice(0, 4).join(' ')}${args.length > 4 ? ' ...' : ''}: ${r.stderr || r.error?.message}`);
  return r;
}

/** Pids of live processes whose command line mentions `needle` (an engine's own temp dir). */
function pidsMentioning(needle) {
  const out = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (cmd.includes(needle)) out.push({ pid: Number(p), comm: fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim() });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

const live = new Set(); // engines started and not yet stopped, for the signal handler

/**
 * One daemon (wharfd or dockerd) on a fresh /tmp/wharfbench-<name>-* dir, socket inside it,
 * busybox:latest imported from build/busybox.tar. stop() removes all its containers, stops
 * the daemon (SIGTERM, then SIGKILL after 20 s), kills any process still naming the dir
 * (conmon, containerd, shims), deletes leftover runc containers, unmounts and deletes the dir.
 */
async function startDaemon({ name, bin, args, sockName, runcRoots, bridge }) {
  const bridgeExisted = bridge && fs.existsSync(`/sys/class/net/${bridge}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${DIR_PREFIX}${name}-`));
  const sock = path.join(dir, sockName);
  const log = fs.openSync(path.join(dir, 'daemon.log'), 'a');
  const proc = spawn(bin, ['-H', `unix://${sock}`, ...args(dir)], { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const exited = new Promise((r) => proc.once('exit', r));
  let stopped = false;
  const engine = {
    name,
    dir,
    sock,
    pid: proc.pid,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        if (proc.exitCode === null && proc.signalCode === null) {
          const ids = docker(sock, ['ps', '-aq'], { allowFail: true, timeout: 30000 }).stdout?.split('\n').filter(Boolean) ?? [];
          if (ids.length) docker(sock, ['rm', '-f', ...ids], { allowFail: true, timeout: 180000 });
          proc.kill('SIGTERM');
          let timer;
          await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 20000)))]);
          clearTimeout(timer);
          if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
        }
      } finally {
        for (const root of runcRoots(dir)) {
          if (!fs.existsSync(root)) continue;
          for (const id of fs.readdirSync(root)) spawnSync('runc', ['--root', root, 'delete', '--force', id], { stdio: 'ignore', timeout: 10000 });
        }
        for (const { pid } of pidsMentioning(dir)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone
          }
        }
        // Only this engine's own dir: other people's /tmp/wharf-test-* daemons stay untouched.
        spawnSync(CLEAN, [dir], { stdio: 'inherit', timeout: 60000 });
        // The bench's own bridge and NAT table (never one that was there before).
        if (bridge && !bridgeExisted) {
          spawnSync('nft', ['delete', 'table', 'ip', `wharf_${bridge}`], { stdio: 'ignore' });
          spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
          // wharfd's FORWARD exceptions for its bridge (it keeps them for a restart; the bench is done).
          for (const dir of ['-i', '-o']) spawnSync('iptables', ['-D', 'FORWARD', dir, bridge, '-j', 'ACCEPT', '-m', 'comment', '--comment', 'wharf'], { stdio: 'ignore' });
        }
        live.delete(engine);
      }
    },
  };
  live.add(engine);
  try {
    const deadline = Date.now() + 60000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`${name} exited: ${fs.readFileSync(path.join(dir, 'daemon.log'), 'utf8').slice(-2000)}`);
      if (await ping(sock)) break;
      if (Date.now() > deadline) throw new Error(`${name} did not come up`);
      await sleep(100);
    }
    docker(sock, ['import', BUSYBOX_TAR, 'busybox:latest']);
  } catch (e) {
    await engine.stop();
    throw e;
  }
  return engine;
}

/** extra: more flags for wharfd (run-phases.js: -D, for its traces in <dir>/daemon.log). */
function startWharfd(extra = []) {
  return startDaemon({
    name: 'wharfd',
    bin: path.join(ROOT, 'bin', 'wharfd'),
    sockName: 'wharfd.sock',
    args: (dir) => ['--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'run'), '--pidfile', path.join(dir, 'pid'), '-b', BENCH_BRIDGES.wharfd, '--bip', '10.213.0.1/16', ...extra],
    runcRoots: (dir) => [path.join(dir, 'run', 'runc')],
    bridge: BENCH_BRIDGES.wharfd,
  });
}

/** A real dockerd (apt docker.io) on a bridge of its own, with no iptables/ip_forward changes (published ports by its userland proxy). Undefined when not installed. */
function startDockerd() {
  if (spawnSync('sh', ['-c', 'command -v dockerd'], { encoding: 'utf8' }).status !== 0) return Promise.resolve(undefined);
  return startDaemon({
    name: 'dockerd',
    bin: 'dockerd',
    sockName: 'docker.sock',
    args: (dir) => ['--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec'), '--pidfile', path.join(dir, 'docker.pid'), '--bip', '10.214.0.1/16', '--iptables=false', '--ip-forward=false'],
    runcRoots: (dir) => [path.join(dir, 'exec', 'runtime-runc', 'moby')],
    bridge: BENCH_BRIDGES.dockerd,
  });
}

/** Stop every engine still running when the bench is interrupted, then exit. */
function cleanupOnSignals() {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      console.error(`bench: ${sig}, cleaning up`);
      Promise.allSettled([...live].map((e) => e.stop())).then(() => {
        cleanupFloor();
        process.exit(130);
      });
    });
  }
}

/** Memory (kB) of the engine's own processes: the daemon and everything naming its dir (conmon; containerd and shims). */
function engineMemory(engine) {
  const byComm = {};
  for (const { pid, comm } of pidsMentioning(engine.dir)) {
    let rollup;
    try {
      rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    } catch {
      continue;
    }
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? 0);
    const key = pid === engine.pid ? engine.name : comm;
    const e = (byComm[key] ??= { count: 0, rss: 0, pss: 0 });
    e.count++;
    e.rss += kb('Rss');
    e.pss += kb('Pss');
  }
  return byComm;
}

/** Create (and optionally start) containers through the API, `parallel` at a time. */
async function createMany(engine, n, body, { start = false, parallel = 4 } = {}) {
  const ids = [];
  let next = 0;
  async function worker() {
    while (next < n) {
      next++;
      const r = await api(engine.sock, 'POST', '/containers/create', JSON.stringify(body), { 'Content-Type': 'application/json' });
      if (r.status !== 201) throw new Error(`create: ${r.status} ${r.body}`);
      const id = JSON.parse(r.body).Id;
      ids.push(id);
      if (start) {
        const s = await api(engine.sock, 'POST', `/containers/${id}/start`);
        if (s.status !== 204) throw new Error(`start: ${s.status} ${s.body}`);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, worker));
  return ids;
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

function firstLine(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10000 });
  return (r.stdout || r.stderr || '').split('\n')[0].trim() || '?';
}

/** One line describing the machine and the software measured. */
function machine(dockerdVersion) {
  const cpu = os.cpus();
  return [
    `${cpu.length} × ${cpu[0]?.model.trim()}`,
    `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    `Linux ${os.release()}`,
    `Node ${process.versions.node}`,
    `docker CLI ${firstLine(DOCKER, ['version', '--format', '{{.Client.Version}}'])}`,
    dockerdVersion ? `dockerd ${dockerdVersion}` : 'no dockerd',
    firstLine('runc', ['--version']),
    firstLine('conmon', ['--version']),
    `load average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  ].join(', ');
}

/**
 * Run `benches` (each `async (engine) => rows`, a row being {key, label, value, unit, digits})
 * against wharfd, then real Docker, one engine at a time; print one markdown table.
 */
async function runBenches(benches) {
  cleanupOnSignals();
  const results = { wharfd: new Map(), dockerd: new Map() };
  const labels = new Map();
  let dockerdVersion;
  const only = process.env.ENGINES?.split(','); // e.g. ENGINES=wharfd while working on a bench
  for (const start of [startWharfd, startDockerd]) {
    if (only && !only.includes(start === startWharfd ? 'wharfd' : 'dockerd')) continue;
    const engine = await start().catch((e) => {
      console.error(`bench: engine not measured: ${e.message}`);
      return undefined;
    });
    if (!engine) continue;
    try {
      if (engine.name === 'dockerd') dockerdVersion = docker(engine.sock, ['version', '--format', '{{.Server.Version}}']).stdout.trim();
      for (const bench of benches) {
        for (const row of await bench(engine)) {
          labels.set(row.key, row);
          results[engine.name].set(row.key, row.value);
          console.error(`bench: ${engine.name}: ${row.label}: ${fmt(row.value, row)}`);
        }
      }
    } finally {
      await engine.stop();
    }
  }
  cleanupFloor();
  // Rows that start a container (row.floor) are set beside the runtime's floor: a bare
  // `runc run` of the same rootfs, sampled between the engines' runs (floor.js).
  const floor = floorSamples().length ? median(floorSamples()) : undefined;
  const ratio = (a, b) => (a !== undefined && b ? (a / b).toFixed(2) : '-');
  const floorCols = (row, w, d) => (floor === undefined ? '' : row.floor ? ` ${fmt(floor, row)} | ${ratio(w, floor)} | ${ratio(d, floor)} |` : ' - | - | - |');
  console.log(`| benchmark | wharfd | real Docker | wharfd / Docker |${floor === undefined ? '' : ' bare `runc run` (floor) | wharfd / floor | Docker / floor |'}`);
  console.log(`| --- | ---: | ---: | ---: |${floor === undefined ? '' : ' ---: | ---: | ---: |'}`);
  for (const [key, row] of labels) {
    const w = results.wharfd.get(key);
    const d = results.dockerd.get(key);
    console.log(`| ${row.label} | ${w === undefined ? '-' : fmt(w, row)} | ${d === undefined ? '-' : fmt(d, row)} | ${ratio(w, d)} |${floorCols(row, w, d)}`);
  }
  console.log('');
  console.log(`(One run: ${machine(dockerdVersion)}${floor === undefined ? '' : `; the floor: median of ${floorSamples().length} bare \`runc run\` of \`true\`, taken between both engines' runs`}.)`);
}

function fmt(v, row) {
  return `${v.toFixed(row.digits ?? 3)} ${row.unit}`;
}

/** Entry point of a single bench file run on its own. */
function main(benches) {
  runBenches(benches).catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}

module.exports = { ROOT, DOCKER, docker, api, sleep, startWharfd, startDockerd, engineMemory, createMany, median, timeIt, runBenches, main };
