import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Envelope } from '../domain/envelope';
import type { WharfEvent } from '../domain/events';
import { evolveContainers, type ContainersView } from './containers';

const T0 = 1_767_225_600_000_000_000n; // 2026-01-01T00:00:00Z
/** Records as the journal gives them: consecutive seqs, one second apart. */
const records = (...events: WharfEvent[]) => events.map((e, i) => ({ ...e, seq: BigInt(i + 1), time: T0 + BigInt(i) * 1_000_000_000n, v: 1, stream: '' }) as Envelope);
const given = (...events: WharfEvent[]) => records(...events).reduce(evolveContainers, new Map() as ContainersView);

const ID = 'a'.repeat(64);
const created = (id: string, name: string): WharfEvent => ({
  type: 'container.created',
  data: { id, name, image: 'busybox', imageId: 'sha256:' + '1'.repeat(64), created: '2026-01-01T00:00:00Z', path: 'sh', args: [], config: { Labels: {} } as never, hostConfig: {} as never },
});

test('a created container is there, created, with the seq of its record', () => {
  const v = given(created(ID, '/web'));
  assert.equal(v.get(ID)?.status, 'created');
  assert.equal(v.get(ID)?.name, '/web');
  assert.equal(v.get(ID)?.createdSeq, 1n);
});

test('a record replaces the container with a new object: the one read before stays as it was', () => {
  const v = given(created(ID, '/web'));
  const before = v.get(ID)!;
  const [, started] = records(created(ID, '/web'), { type: 'container.started', data: { id: ID, pid: 7, conmonPid: 6, startedAt: '2026-01-01T00:00:01Z' } });
  const after = evolveContainers(v, started);
  assert.equal(after, v);
  assert.equal(after.get(ID)?.status, 'running');
  assert.equal(before.status, 'created');
  assert.notEqual(after.get(ID), before);
});

test('destroyed: the container is gone; records of other kinds change nothing', () => {
  const v = given(created(ID, '/web'), { type: 'container.remove-requested', data: { id: ID } }, { type: 'container.destroyed', data: { id: ID } });
  assert.equal(v.size, 0);
  const w = given(created(ID, '/web'), { type: 'volume.created', data: { id: ID, driver: 'local', createdAt: 't', labels: null, options: null } });
  assert.deepEqual([...w.keys()], [ID]);
});
