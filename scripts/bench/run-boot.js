#!/usr/bin/env node
'use strict';
// Boot time against the journal's length: kill -9 of a running wharfd, then a new one on the
// same data root, timed until its /_ping answers. Cases:
// - an empty journal;
// - BOOT_RECORDS (default 1,000,000) records of mixed history (images pulled, tagged, untagged,
//   deleted; containers created, started, exec'd, died, renamed, removed; volumes), with the
//   views checkpoint at the head (what a graceful stop, or a quiet daemon, leaves);
// - the same with the checkpoint BOOT_TAIL (default 10,000: the default checkpoint interval)
//   records behind the head (the worst a kill -9 leaves under load);
// - the same without a checkpoint (the whole journal replayed and checked).
// wharfd only: dockerd has no journal to replay (its state is per-object files read at boot),
// so there is no equivalent to compare with.
//
// The history is written straight into the data root's journal with the project's LevelJournal
// (schema-validated, hash-chained appends in batches of 5,000), so it is the journal a daemon
// would have written. Everything lives in /tmp/wharfbench-boot-*, removed afterwards; the
// daemons run with --bridge none and the history has no user-defined networks (no host
// interfaces are touched) and no running containers (nothing to settle at boot).
// BOOT_RUNS (default 5) restarts per case; the median is reported.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');
const DIST = path.join(ROOT, 'dist');
const { LevelJournal } = require(path.join(DIST, 'src/journal/level-journal.js'));
const { loadEventValidator } = require(path.join(DIST, 'src/journal/schemas.js'));
const { mixedBatches } = require(path.join(DIST, 'test/helpers/mixed-history.js'));
const { ping } = require(path.join(DIST, 'test/helpers/wharfd.js'));

const RECORDS = Number(process.env.BOOT_RECORDS || 1_000_000);
const TAIL = Number(process.env.BOOT_TAIL || 10_000);
const RUNS = Number(process.env.BOOT_RUNS || 5);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.error('[boot]', ...a);

const dirs = [];
const procs = new Set();

function daemon(dir) {
  const args = ['-H', `unix://${dir}/wharfd.sock`, '--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'run'), '--pidfile', path.join(dir, 'wharfd.pid'), '--bridge', 'none'];
  const out = fs.openSync(path.join(dir, 'daemon.log'), 'a');
  const proc = spawn(path.join(ROOT, 'bin', 'wharfd'), args, { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  procs.add(proc);
  proc.once('exit', () => procs.delete(proc));
  return proc;
}

async function up(dir, proc, timeoutMs = 600_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`wharfd exited: ${fs.readFileSync(path.join(dir, 'daemon.log'), 'utf8').slice(-2000)}`);
    if (await ping(path.join(dir, 'wharfd.sock'))) return;
    if (Date.now() > deadline) throw new Error('wharfd did not come up');
    await sleep(5);
  }
}

function kill9(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  const gone = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGKILL');
  return gone;
}

async function stop(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await gone;
}

const checkpointOf = (dir) => path.join(dir, 'data', 'views.checkpoint');
const checkpointSeq = (dir) => {
  try {
    return BigInt(JSON.parse(fs.readFileSync(checkpointOf(dir), 'utf8').split('\n')[0]).seq);
  } catch {
    return -1n;
  }
};

async function waitCheckpoint(dir, seq) {
  const deadline = Date.now() + 300_000;
  while (checkpointSeq(dir) !== BigInt(seq)) {
    if (Date.now() > deadline) throw new Error(`no checkpoint at ${seq} (have ${checkpointSeq(dir)})`);
    await sleep(50);
  }
}

/** Append `records` records of mixed history (from `skip` on, of one seeded history) into the data root's journal. */
async function writeHistory(dir, records, skip = 0) {
  const j = new LevelJournal(path.join(dir, 'data', 'journal'));
  j.validator = loadEventValidator();
  await j.open();
  const t0 = Date.now();
  let batch = [];
  let n = 0;
  for (const b of mixedBatches(skip + records, 7, { networks: false, settled: true })) {
    n += b.length;
    if (n <= skip) continue;
    batch.push(...b);
    if (batch.length >= 5000) {
      await j.append(batch);
      batch = [];
    }
  }
  if (batch.length) await j.append(batch);
  const seq = j.lastSeq;
  await j.close();
  log(`wrote ${records} records (journal at ${seq}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return seq;
}

/**
 * One measured restart: kill -9 the running daemon, prepare the data root (e.g. put a
 * checkpoint in place, or remove it), start a new one, and time until /_ping answers.
 */
async function restart(dir, proc, prepare) {
  const t0 = process.hrtime.bigint();
  await kill9(proc);
  prepare?.();
  const next = daemon(dir);
  await up(dir, next);
  return { proc: next, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function bootBench() {
  const mk = (name) => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), `wharfbench-boot-${name}-`));
    dirs.push(d);
    fs.mkdirSync(path.join(d, 'data'), { recursive: true });
    return d;
  };
  const times = { empty: [], head: [], tail: [], none: [] };

  // An empty journal.
  const empty = mk('empty');
  let p = daemon(empty);
  await up(empty, p);
  for (let i = 0; i < RUNS; i++) {
    const r = await restart(empty, p);
    p = r.proc;
    times.empty.push(r.seconds);
  }
  await stop(p);

  // A long history: RECORDS - TAIL records; a daemon boots on it once (whole replay) and
  // writes a checkpoint at its head (the graceful stop's); then TAIL records more, offline.
  const big = mk('history');
  await writeHistory(big, RECORDS - TAIL);
  p = daemon(big);
  let t0 = Date.now();
  await up(big, p);
  log(`first boot on ${RECORDS - TAIL} records without a checkpoint: ${((Date.now() - t0) / 1000).toFixed(2)} s`);
  await stop(p);
  await waitCheckpoint(big, RECORDS - TAIL);
  const behind = `${checkpointOf(big)}.behind`;
  fs.copyFileSync(checkpointOf(big), behind);
  await writeHistory(big, TAIL, RECORDS - TAIL);
  // A boot from that checkpoint replays the tail and checkpoints at the head right after.
  p = daemon(big);
  t0 = Date.now();
  await up(big, p);
  await waitCheckpoint(big, RECORDS);
  const atHead = `${checkpointOf(big)}.head`;
  fs.copyFileSync(checkpointOf(big), atHead);
  const size = fs.statSync(atHead).size;
  log(`checkpoint at ${RECORDS}: ${(size / 1e6).toFixed(1)} MB`);

  // The cases, interleaved run by run.
  const cases = [
    ['head', () => fs.copyFileSync(atHead, checkpointOf(big))],
    ['tail', () => fs.copyFileSync(behind, checkpointOf(big))],
    ['none', () => fs.rmSync(checkpointOf(big), { force: true })],
  ];
  for (let i = 0; i < RUNS; i++) {
    for (const [name, prepare] of cases) {
      const r = await restart(big, p, prepare);
      p = r.proc;
      times[name].push(r.seconds);
      log(`${name} run ${i + 1}: ${r.seconds.toFixed(3)} s`);
    }
  }
  const logText = fs.readFileSync(path.join(big, 'daemon.log'), 'utf8');
  if (!/starting from the views checkpoint/.test(logText)) throw new Error('the daemon never started from the checkpoint');
  await stop(p);

  const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
  const n = RECORDS.toLocaleString('en-US');
  const rows = [
    ['empty journal', m.empty, 1],
    [`${n} records, checkpoint at the head`, m.head, m.head / m.empty],
    [`${n} records, checkpoint ${TAIL.toLocaleString('en-US')} records behind`, m.tail, m.tail / m.empty],
    [`${n} records, no checkpoint (whole journal replayed and checked)`, m.none, m.none / m.empty],
  ];
  console.log(`\nBoot, kill -9 to a successful /_ping (wharfd --bridge none, median of ${RUNS}; checkpoint ${(size / 1e6).toFixed(1)} MB):\n`);
  console.log('| journal | boot | × empty journal |');
  console.log('| --- | --- | --- |');
  for (const [what, s, x] of rows) console.log(`| ${what} | ${s.toFixed(3)} s | ${x.toFixed(2)}× |`);
  return { times, medians: m, checkpointBytes: size };
}

async function cleanup() {
  for (const p of [...procs]) await kill9(p);
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    cleanup().finally(() => process.exit(130));
  });
}

if (require.main === module) {
  bootBench()
    .catch((e) => {
      console.error(e);
      process.exitCode = 1;
    })
    .finally(cleanup);
}

module.exports = { bootBench };
