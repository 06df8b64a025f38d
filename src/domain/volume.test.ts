import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContainerView } from './container';
import { ANONYMOUS_LABEL, decideCreateVolume, decideRemoveVolume, evolveVolume, listFilter, pruneFilter, volumeUsers, type VolumeView } from './volume';

const vol = (name: string, labels: Record<string, string> | null = null): VolumeView => ({ name, driver: 'local', createdAt: '2025-01-01T00:00:00Z', labels, options: null, status: 'ready' });

test('evolve: created → removing → gone', () => {
  let v = evolveVolume(undefined, { type: 'volume.created', data: { id: 'a', driver: 'local', createdAt: 't', labels: null, options: null } });
  assert.equal(v?.status, 'ready');
  v = evolveVolume(v, { type: 'volume.remove-requested', data: { id: 'a' } });
  assert.equal(v?.status, 'removing');
  assert.equal(evolveVolume(v, { type: 'volume.removed', data: { id: 'a' } }), undefined);
});

test('given a container using it, when removed, then 409 with the container ids', () => {
  const c = { id: 'c'.repeat(64), mounts: [{ Type: 'volume', Name: 'a', Source: '', Destination: '/a', Mode: '', RW: true, Propagation: '' }] } as ContainerView;
  const users = volumeUsers('a', [c]);
  assert.deepEqual(users, [c.id]);
  assert.throws(() => decideRemoveVolume(vol('a'), users), { message: `remove a: volume is in use - [${c.id}]` });
  assert.deepEqual(decideRemoveVolume(vol('a'), []), [{ type: 'volume.remove-requested', data: { id: 'a' } }]);
});

test('ls filters: dangling, name, label', () => {
  const inUse = (n: string) => n === 'used';
  const vs = [vol('used'), vol('free', { k: 'v' })];
  assert.deepEqual(vs.filter(listFilter({ dangling: ['true'] }, inUse)).map((v) => v.name), ['free']);
  assert.deepEqual(vs.filter(listFilter({ dangling: ['false'] }, inUse)).map((v) => v.name), ['used']);
  assert.deepEqual(vs.filter(listFilter({ name: ['us'] }, inUse)).map((v) => v.name), ['used']);
  assert.deepEqual(vs.filter(listFilter({ label: ['k=v'] }, inUse)).map((v) => v.name), ['free']);
  assert.throws(() => listFilter({ nope: ['x'] }, inUse), /invalid filter 'nope'/);
  assert.throws(() => listFilter({ dangling: ['maybe'] }, inUse), /invalid filter 'dangling=maybe'/);
});

test('prune: anonymous only by default, all=true for named too', () => {
  const vs = [vol('named'), vol('anon', { [ANONYMOUS_LABEL]: '' })];
  assert.deepEqual(vs.filter(pruneFilter({})).map((v) => v.name), ['anon']);
  assert.deepEqual(vs.filter(pruneFilter({ all: ['true'] })).map((v) => v.name), ['named', 'anon']);
  assert.deepEqual(vs.filter(pruneFilter({ all: ['true'], 'label!': [ANONYMOUS_LABEL] })).map((v) => v.name), ['named']);
});

test('volume create: an existing volume is the answer, one being removed a conflict, else the fact', () => {
  const v = { name: 'data', status: 'active' } as never;
  assert.deepEqual(decideCreateVolume(v, 'data', {}, 'T'), { existing: v });
  assert.throws(() => decideCreateVolume({ name: 'data', status: 'removing' } as never, 'data', {}, 'T'), /volume data is being removed/);
  assert.deepEqual(decideCreateVolume(undefined, 'data', { labels: { a: 'b' } }, 'T'), { events: [{ type: 'volume.created', data: { id: 'data', driver: 'local', createdAt: 'T', labels: { a: 'b' }, options: null } }] });
});
