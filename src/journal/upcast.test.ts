import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { Envelope } from '../domain/envelope';
import { EVENT_VERSION } from '../domain/events';
import { exported, storedOf } from './audit';
import { encode } from './codec';
import { importOffline, withOfflineJournal } from './offline';
import { upcast, UPCASTERS, type Upcaster } from './upcast';

// The upcasting mechanism on a table of the test's own: a type whose shape changed twice.
// v1 {id, size: "12MB"} → v2 {id, bytes: 12000000} → v3 {id, bytes, unit: "B"}.
const versions = { 'test.sized': 3 };
const table: Record<string, Upcaster> = {
  'test.sized@1': (e) => {
    const { size, ...rest } = e.data as unknown as { id: string; size: string };
    return { ...e, v: 2, data: { ...rest, bytes: Number.parseInt(size, 10) * 1_000_000 } } as unknown as Envelope;
  },
  'test.sized@2': (e) => ({ ...e, v: 3, data: { ...(e.data as object), unit: 'B' } }) as unknown as Envelope,
};
const sized = (v: number, data: object) => ({ seq: 7n, time: 70n, type: 'test.sized', v, stream: 'test:a', data, meta: { by: { daemon: true } } }) as unknown as Envelope;

describe('upcasting', () => {
  test('a v1 record runs through every upcaster of the chain to the current version; envelope and meta stay', () => {
    const up = upcast(sized(1, { id: 'a', size: '12MB' }), table, versions);
    assert.deepEqual({ ...up }, { ...sized(3, { id: 'a', bytes: 12_000_000, unit: 'B' }) });
    assert.deepEqual({ ...upcast(sized(2, { id: 'a', bytes: 5 }), table, versions) }, { ...sized(3, { id: 'a', bytes: 5, unit: 'B' }) });
  });

  test('a current record is returned as it is; a missing link of the chain, or an upcaster that skips a version, is an error', () => {
    const cur = sized(3, { id: 'a', bytes: 1, unit: 'B' });
    assert.equal(upcast(cur, table, versions), cur);
    assert.throws(() => upcast(sized(1, { id: 'a', size: '1MB' }), { 'test.sized@2': table['test.sized@2'] }, versions), /no upcaster for test\.sized v1/);
    assert.throws(() => upcast(sized(1, { id: 'a', size: '1MB' }), { 'test.sized@1': (e) => ({ ...e, v: 3 }) }, versions), /gave v3, not v2/);
  });

  test("today's table: every upcaster lifts a version below its type's current one", () => {
    for (const key of Object.keys(UPCASTERS)) {
      const [type, v] = key.split('@');
      assert.ok(type in EVENT_VERSION, `${key}: no such event type`);
      assert.ok(Number(v) >= 1 && Number(v) < EVENT_VERSION[type as keyof typeof EVENT_VERSION], `${key}: not below the current version`);
    }
  });
});

describe('journal import (restore)', () => {
  const rec = (seq: number, time: bigint, data: object, type = 'volume.created') => exported({ seq: BigInt(seq), time, type, v: 1, stream: `volume:${(data as { id: string }).id}`, data, meta: { by: { uid: 0 } } } as unknown as Envelope);

  test('exported records come back as stored: same records, same hashes, on a real LevelDB journal', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-import-'));
    try {
      const t0 = 1_796_000_000_123_456_789n;
      const records = [rec(1, t0, { id: 'v1', driver: 'local', createdAt: '2026-12-01T00:00:00Z', labels: {}, options: {} }), rec(2, t0 + 5n, { id: 'v1' }, 'volume.remove-requested')];
      const head = await importOffline(path.join(dir, 'data'), records.map(storedOf));
      assert.equal(head.seq, 2n);
      const back = await withOfflineJournal(path.join(dir, 'data'), async (j) => {
        const out: Envelope[] = [];
        for await (const e of j.read()) out.push(e);
        const report = await j.verify();
        assert.deepEqual([report.records, report.head.hash, report.damage], [2, head.hash, undefined]);
        return out;
      });
      assert.deepEqual(back.map(exported), records);
      assert.deepEqual(back.map((e) => encode(e)), records.map(storedOf));
      // Nanoseconds survive the RFC3339 time of the export.
      assert.equal(back[0].time, t0);
      await assert.rejects(importOffline(path.join(dir, 'data'), records.map(storedOf)), /has a journal already/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a record that does not match its schema, a gap, or times going back: nothing is imported', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-import-'));
    try {
      const t0 = 1_796_000_000_000_000_000n;
      const good = rec(1, t0, { id: 'v1', driver: 'local', createdAt: '2026-12-01T00:00:00Z', labels: {}, options: {} });
      const cases: [ReturnType<typeof rec>[], RegExp][] = [
        [[good, rec(2, t0 + 1n, { id: 'v1', driver: 'local', createdAt: '2026-12-01T00:00:00Z', labels: {}, options: {}, colour: 'red' })], /record 2 \(volume\.created v1\) does not match its schema/],
        [[good, rec(3, t0 + 1n, { id: 'v1' }, 'volume.removed')], /record 2 holds seq 3/],
        [[good, rec(2, t0, { id: 'v1' }, 'volume.removed')], /record 2: its time \d+ is not after the one before/],
      ];
      for (const [records, why] of cases) {
        const root = mkdtempSync(path.join(dir, 'data-'));
        await assert.rejects(importOffline(root, records.map(storedOf)), why);
        await assert.rejects(withOfflineJournal(root, async () => 0), /no journal in/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
