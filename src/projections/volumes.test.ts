import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Envelope } from '../domain/envelope';
import type { WharfEvent } from '../domain/events';
import { evolveVolumes, type VolumesView } from './volumes';

const T0 = 1_767_225_600_000_000_000n; // 2026-01-01T00:00:00Z
/** Records as the journal gives them: consecutive seqs, one second apart. */
const records = (...events: WharfEvent[]) => events.map((e, i) => ({ ...e, seq: BigInt(i + 1), time: T0 + BigInt(i) * 1_000_000_000n, v: 1, stream: '' }) as Envelope);
const given = (...events: WharfEvent[]) => records(...events).reduce(evolveVolumes, new Map() as VolumesView);
const created = (id: string): WharfEvent => ({ type: 'volume.created', data: { id, driver: 'local', createdAt: 't', labels: { a: 'b' }, options: null } });

test('a created volume is ready; a removal asked marks it removing; removed, it is gone', () => {
  assert.deepEqual(given(created('data')).get('data'), { name: 'data', driver: 'local', createdAt: 't', labels: { a: 'b' }, options: null, status: 'ready' });
  assert.equal(given(created('data'), { type: 'volume.remove-requested', data: { id: 'data' } }).get('data')?.status, 'removing');
  assert.deepEqual([...given(created('data'), created('logs'), { type: 'volume.removed', data: { id: 'data' } }).keys()], ['logs']);
});

test('a record replaces the volume: the one read before stays as it was', () => {
  const v = given(created('data'));
  const before = v.get('data')!;
  evolveVolumes(v, records({ type: 'volume.remove-requested', data: { id: 'data' } })[0]);
  assert.equal(before.status, 'ready');
});
