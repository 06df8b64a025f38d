import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { WharfEvent } from '../domain/events';
import { matchesFilters, storedRecordFilter, toDockerEvent } from '../api/wire/event';
import { LevelJournal } from './level-journal';
import { follow } from './tail';

// docker events --since <long ago> --until <now> --filter ..., over 100,000 records: what
// GET /events does (the journal's read from the time index, the Docker shape, the filters).
const hex = (n: number) => n.toString(16).padStart(64, '0');
const config = { Cmd: ['true'], Env: [], User: '', WorkingDir: '', Tty: false, AttachStdin: false, AttachStdout: true, AttachStderr: true, Privileged: false, DetachKeys: '' };

test('events --since over 100,000 records with a filter answers in under a second', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'evolve-events-'));
  const journal = new LevelJournal(path.join(dir, 'journal'));
  try {
    await journal.open();
    const N = 100_000;
    let batch: { events: WharfEvent[]; meta: Record<string, unknown> }[] = [];
    let n = 0;
    for (let i = 0; n < N; i++) {
      const id = hex(i);
      const meta = { name: `c${i}`, image: 'busybox', labels: { app: i % 100 === 0 ? 'one' : 'many' } };
      const events: WharfEvent[] = [
        { type: 'container.created', data: { id, name: `c${i}`, image: 'busybox', imageId: `sha256:${hex(1)}`, created: '', path: 'sh', args: [], config: { Labels: meta.labels } as never, hostConfig: {} as never } },
        { type: 'container.started', data: { id, pid: i, conmonPid: i, startedAt: '2026-01-01T00:00:01Z' } },
        { type: 'exec.created', data: { id: hex(N + i), container: id, config } },
        { type: 'container.died', data: { id, exitCode: 0, finishedAt: '2026-01-01T00:00:02Z' } },
      ];
      batch.push({ events, meta });
      batch.push({ events: [{ type: i % 10 === 0 ? 'image.untagged' : 'image.tagged', data: { id: `sha256:${hex(1)}`, ref: `app:${i}` } }], meta: { name: `app:${i}` } });
      n += 5;
      if (batch.length >= 400) {
        await journal.appendAll(batch);
        batch = [];
      }
    }
    if (batch.length) await journal.appendAll(batch);
    const untilTime = BigInt(Date.now()) * 1_000_000n; // --until now: the stream ends with the history
    for (const [label, filters, expected] of [
      // As dockerd, a name filter passes every name it begins: c500 and c5000..c5009.
      ['container=c500', { container: ['c500'] }, 44],
      ['type=image, event=untag', { type: ['image'], event: ['untag'] }, 2000],
      ['label=app=one', { label: ['app=one'] }, 800],
      ['container=c500, event=die', { container: ['c500'], event: ['die'] }, 11],
      ['container=c12345, event=die', { container: ['c12345'], event: ['die'] }, 1],
    ] as const) {
      const t = process.hrtime.bigint();
      let matched = 0;
      const accept = storedRecordFilter(filters as unknown as Record<string, string[]>);
      for await (const e of follow(journal, { sinceTime: 1n, untilTime, accept })) {
        const ev = toDockerEvent(e);
        if (ev && matchesFilters(ev, filters as unknown as Record<string, string[]>)) matched++;
      }
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      console.log(`# events --since over ${N} records, --filter ${label}: ${matched} events in ${ms.toFixed(0)} ms`);
      assert.ok(ms < 1000, `${ms} ms`);
      assert.equal(matched, expected);
    }
  } finally {
    await journal.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
