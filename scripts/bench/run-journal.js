#!/usr/bin/env node
'use strict';
// Journal append throughput: the LevelJournal alone (no daemon), on a temp dir under /tmp
// (/tmp/wharfbench-journal-*), removed afterwards.
// - sequential: one append of one event at a time (each waits for its fsync);
// - concurrent: CLIENTS callers appending one event at a time each (group commit shares fsyncs).
// Prints a markdown table; JOURNAL_N (events per case, default 2000) and CLIENTS (64) change it.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
// JOURNAL_DIST: another build's dist/ (e.g. an older commit's) to compare with.
const { LevelJournal } = require(path.resolve(process.env.JOURNAL_DIST || path.join(__dirname, '../../dist'), 'src/journal/level-journal.js'));

const N = Number(process.env.JOURNAL_N || 2000);
const CLIENTS = Number(process.env.CLIENTS || 64);

const event = (i) => ({
  type: 'container.created',
  data: {
    id: i.toString(16).padStart(64, '0'),
    name: `bench-${i}`,
    image: 'busybox:latest',
    imageId: `sha256:${'a'.repeat(64)}`,
    createdAt: new Date().toISOString(),
    config: { Image: 'busybox', Cmd: ['sleep', '600'], Env: ['PATH=/usr/bin:/bin'], Labels: { app: 'bench' } },
    hostConfig: { NetworkMode: 'none' },
  },
});

async function measure(label, run) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharfbench-journal-'));
  // A data root as the daemon has it: the database in <dir>/journal.
  const j = new LevelJournal(path.join(dir, 'journal'));
  try {
    await j.open();
    const t0 = process.hrtime.bigint();
    await run(j);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    return { label, perSecond: N / s, seconds: s };
  } finally {
    await j.close().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function journalBench() {
  const rows = [];
  rows.push(await measure('sequential appends (1 caller, 1 event each)', async (j) => {
    for (let i = 0; i < N; i++) await j.append([event(i)]);
  }));
  rows.push(await measure(`concurrent appends (${CLIENTS} callers, 1 event each)`, async (j) => {
    let next = 0;
    await Promise.all(Array.from({ length: CLIENTS }, async () => {
      while (next < N) await j.append([event(next++)]);
    }));
  }));
  rows.push(await measure('replay (read back every record)', async (j) => {
    let next = 0;
    await Promise.all(Array.from({ length: CLIENTS }, async () => {
      while (next < N) await j.append([event(next++)]);
    }));
    const t0 = process.hrtime.bigint();
    let n = 0;
    for await (const _e of j.read()) n++;
    if (n !== N) throw new Error(`read ${n} of ${N}`);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    rows.push({ label: 'replay (read back every record)', perSecond: N / s, seconds: s });
  }));
  rows.splice(2, 1);
  console.log(`| journal (${N} events) | events/s | total |`);
  console.log('| --- | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.label} | ${Math.round(r.perSecond)} | ${r.seconds.toFixed(3)} s |`);
}

if (require.main === module) journalBench().catch((e) => { console.error(e); process.exit(1); });
module.exports = { journalBench };
