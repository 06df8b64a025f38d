#!/usr/bin/env node
'use strict';
// `docker events --since <long ago> --until <now> --filter ...` over EVENTS_RECORDS (default
// 100,000) journal records: the time GET /events spends reading the journal from its time
// index, skipping records no event of the filter can come from, and shaping the rest (what
// the daemon does, without the HTTP hop). wharfd only: dockerd keeps 256 events in memory and
// has no history to read. EVENTS_RUNS (default 3) runs per filter; the median is reported.
// Everything lives in /tmp/wharfbench-events-*, removed afterwards.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const DIST = path.resolve(__dirname, '../../dist');
const { LevelJournal } = require(path.join(DIST, 'src/journal/level-journal.js'));
const { follow } = require(path.join(DIST, 'src/journal/tail.js'));
const { matchesFilters, storedRecordFilter, toDockerEvent } = require(path.join(DIST, 'src/api/wire/event.js'));
const { eventCases, writeEventHistory } = require(path.join(DIST, 'test/helpers/event-history.js'));

const RECORDS = Number(process.env.EVENTS_RECORDS || 100_000);
const RUNS = Number(process.env.EVENTS_RUNS || 3);

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharfbench-events-'));
  const journal = new LevelJournal(path.join(dir, 'journal'));
  try {
    await journal.open();
    await writeEventHistory(journal, RECORDS);
    const untilTime = BigInt(Date.now()) * 1_000_000n;
    console.log(`| docker events --since over ${RECORDS.toLocaleString('en')} records | events | wharfd (median of ${RUNS}) |`);
    console.log('|---|---:|---:|');
    for (const { label, filters, expected } of eventCases(RECORDS)) {
      const times = [];
      let matched = 0;
      for (let r = 0; r < RUNS; r++) {
        matched = 0;
        const t = process.hrtime.bigint();
        for await (const e of follow(journal, { sinceTime: 1n, untilTime, accept: storedRecordFilter(filters) })) {
          const ev = toDockerEvent(e);
          if (ev && matchesFilters(ev, filters)) matched++;
        }
        times.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
      if (matched !== expected) throw new Error(`${label}: ${matched} events, expected ${expected}`);
      times.sort((a, b) => a - b);
      console.log(`| --filter ${label} | ${matched} | ${(times[Math.floor(times.length / 2)] / 1000).toFixed(3)} s |`);
    }
  } finally {
    await journal.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
