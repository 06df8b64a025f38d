import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { WharfEvent } from '../domain/events';
import { planBoot } from './boot-plan';
import { ChainVerifier, GENESIS, recordHash } from './chain';
import type { StoredEnvelope } from './codec';
import { MemoryJournal } from './memory-journal';
import { loadEventValidator } from './schemas';

const tag = (i: number): WharfEvent => ({ type: 'image.tagged', data: { id: `sha256:${String(i).padStart(64, '0')}`, ref: `img:${i}` } });

function chain(n: number): StoredEnvelope[] {
  const out: StoredEnvelope[] = [];
  let prev = GENESIS;
  for (let i = 1; i <= n; i++) {
    const s: StoredEnvelope = { seq: String(i), time: String(1000 + i), type: 'image.tagged', v: 1, stream: 'image:x', data: { id: 'x', ref: `r:${i}` } };
    s.h = recordHash(prev, s);
    prev = s.h;
    out.push(s);
  }
  return out;
}

function verify(records: StoredEnvelope[]) {
  const v = new ChainVerifier();
  for (const r of records) {
    const d = v.check(BigInt(r.seq), r);
    if (d) return { v, d };
  }
  return { v };
}

describe('the hash chain', () => {
  test('an intact chain verifies, with its head', () => {
    const { v, d } = verify(chain(5));
    assert.equal(d, undefined);
    assert.equal(v.count, 5);
    assert.equal(v.head.seq, 5n);
  });

  test('a changed record is named', () => {
    const c = chain(5);
    (c[2].data as { ref: string }).ref = 'changed';
    assert.deepEqual(verify(c).d, { seq: 3n, problem: 'record 3 does not match its hash (changed, or the record before it was)' });
  });

  test('a changed record whose hash was recomputed breaks the next one', () => {
    const c = chain(5);
    (c[2].data as { ref: string }).ref = 'changed';
    c[2].h = recordHash(c[1].h as string, c[2]);
    assert.equal(verify(c).d?.seq, 4n);
  });

  test('a removed record and reordered records are found', () => {
    const c = chain(5);
    assert.equal(verify([c[0], c[1], c[3], c[4]]).d?.problem, 'record 3 is missing');
    const swapped = chain(5);
    const [a, b] = [swapped[1].data, swapped[2].data];
    swapped[1].data = b;
    swapped[2].data = a;
    assert.equal(verify(swapped).d?.seq, 2n);
  });

  test('records an older Wharf wrote (no hash) are accepted as a prefix only', () => {
    const legacy: StoredEnvelope[] = [1, 2].map((i) => ({ seq: String(i), time: String(i), type: 'image.tagged', v: 1, stream: 's', data: {} }));
    const next: StoredEnvelope = { seq: '3', time: '3', type: 'image.tagged', v: 1, stream: 's', data: {} };
    next.h = recordHash(GENESIS, next);
    const { v, d } = verify([...legacy, next]);
    assert.equal(d, undefined);
    assert.equal(v.legacy, 2);
    const late: StoredEnvelope = { seq: '4', time: '4', type: 'image.tagged', v: 1, stream: 's', data: {} };
    assert.match(verify([...legacy, next, late]).d?.problem ?? '', /record 4 has no hash/);
  });
});

describe('the boot plan: the chain held against its anchor', () => {
  const report = (seq: bigint, damage?: { seq: bigint; problem: string }) => ({ records: Number(seq), legacy: 0, head: { seq, hash: 'h' }, ...(damage ? { damage } : {}) });

  test('intact and anchored: nothing to do', () => {
    assert.deepEqual(planBoot({ report: report(10n), anchor: { seq: 10n, hash: 'h' }, hashAtAnchor: 'h' }), { trimFrom: undefined, trimmed: 0, warnings: [] });
  });

  test('a journal shorter than what was acknowledged is damage', () => {
    assert.match(planBoot({ report: report(9n), anchor: { seq: 10n, hash: 'h' } }).damage ?? '', /ends at record 9 but record 10 was acknowledged/);
  });

  test('damage at or before the anchor is damage; after it, a torn tail that is trimmed with a warning', () => {
    assert.ok(planBoot({ report: report(4n, { seq: 5n, problem: 'record 5 is missing' }), anchor: { seq: 10n, hash: 'h' } }).damage);
    const p = planBoot({ report: report(10n, { seq: 11n, problem: 'record 11 does not match' }), anchor: { seq: 10n, hash: 'h' }, hashAtAnchor: 'h' });
    assert.equal(p.damage, undefined);
    assert.equal(p.trimFrom, 11n);
    assert.match(p.warnings[0], /dropping the journal's tail from record 11/);
  });

  test("the records of a write that failed are dropped even when they verify: they were never acknowledged", () => {
    const p = planBoot({ report: report(12n), anchor: { seq: 10n, hash: 'h', failedFrom: 11n }, hashAtAnchor: 'h' });
    assert.equal(p.trimFrom, 11n);
  });

  test('a record at the anchor that is not the acknowledged one is damage', () => {
    assert.match(planBoot({ report: report(10n), anchor: { seq: 10n, hash: 'h' }, hashAtAnchor: 'other' }).damage ?? '', /not the one acknowledged/);
  });
});

describe('the journal after a failed write', () => {
  test('refuses every write until reopened and verified, then takes writes again; nothing refused is stored', async () => {
    const j = new MemoryJournal();
    await j.open();
    await j.append([tag(1)]);
    j.failNextWrites = 1;
    await assert.rejects(j.append([tag(2)]), /refuses writes since a write failed .*No space left on device/);
    await assert.rejects(j.append([tag(3)]), /refuses writes/);
    assert.equal(j.writeBlock?.kind, 'write-failed');
    const r = await j.reopen();
    assert.deepEqual(r, { ok: true, trimmed: 0 });
    const [e] = await j.append([tag(4)]);
    assert.equal(e.seq, 2n);
    const report = await j.verify();
    assert.equal(report.damage, undefined);
    assert.deepEqual(j.stored.map((s) => (s.data as { ref: string }).ref), ['img:1', 'img:4']);
  });

  test('appends waiting behind a failed write are refused too, not written after it', async () => {
    const j = new MemoryJournal();
    await j.open();
    j.failNextWrites = 1;
    const results = await Promise.allSettled([j.append([tag(1)]), j.append([tag(2)]), j.append([tag(3)])]);
    assert.ok(results.every((r) => r.status === 'rejected'));
    assert.equal(j.stored.length, 0);
  });

  test('a journal that turns out shorter than acknowledged at reopen stays refused, as damaged', async () => {
    const j = new MemoryJournal();
    await j.open();
    await j.append([tag(1)]);
    await j.append([tag(2)]);
    j.failNextWrites = 1;
    await assert.rejects(j.append([tag(3)]));
    j.stored.pop();
    const r = await j.reopen();
    assert.equal(r.ok, false);
    assert.match(r.problem ?? '', /ends at record 1 but record 2 was acknowledged/);
    await assert.rejects(j.append([tag(4)]), /journal is damaged/);
  });
});

describe('schemas on append', () => {
  test('a record that does not match its schema is never written; the others in the batch are', async () => {
    const j = new MemoryJournal();
    j.validator = loadEventValidator();
    await j.open();
    const bad = { type: 'volume.created', data: { id: 'v1', driver: 'local', createdAt: 'now', labels: { a: 1 }, options: null } } as unknown as WharfEvent;
    const good = { type: 'volume.created', data: { id: 'v2', driver: 'local', createdAt: '2026-01-01T00:00:00Z', labels: null, options: null } } as WharfEvent;
    const [r1, r2] = await Promise.allSettled([j.append([bad]), j.append([good])]);
    assert.equal(r1.status, 'rejected');
    assert.match(String((r1 as PromiseRejectedResult).reason), /does not match its schema: volume.created: data\/labels\/a must be string/);
    assert.equal(r2.status, 'fulfilled');
    assert.deepEqual(j.stored.map((s) => (s.data as { id: string }).id), ['v2']);
    assert.equal(j.writeBlock, undefined, 'a refused record does not stop the journal');
  });
});
