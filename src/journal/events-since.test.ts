import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { matchesFilters, storedRecordFilter, toDockerEvent } from '../api/wire/event';
import { eventCases, writeEventHistory } from '../../test/helpers/event-history';
import { LevelJournal } from './level-journal';
import { follow } from './tail';

// docker events --since <long ago> --until <now> --filter ..., over a long journal: what
// GET /events does (the journal's read from the time index, the stored-record pre-filter, the
// Docker shape, the filters). Its speed over 100,000 records is scripts/bench/run-events.js's
// to measure; here, that every filter gives exactly its events. WHARF_EVENTS_RECORDS: the size.
const RECORDS = Number(process.env.WHARF_EVENTS_RECORDS ?? 25_000);

test(`events --since over ${RECORDS} records with a filter gives exactly the matching events`, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'evolve-events-'));
  const journal = new LevelJournal(path.join(dir, 'journal'));
  try {
    await journal.open();
    await writeEventHistory(journal, RECORDS);
    const untilTime = BigInt(Date.now()) * 1_000_000n; // --until now: the stream ends with the history
    for (const { label, filters, expected } of eventCases(RECORDS)) {
      let matched = 0;
      const accept = storedRecordFilter(filters);
      for await (const e of follow(journal, { sinceTime: 1n, untilTime, accept })) {
        const ev = toDockerEvent(e);
        if (ev && matchesFilters(ev, filters)) matched++;
      }
      assert.equal(matched, expected, label);
    }
  } finally {
    await journal.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
