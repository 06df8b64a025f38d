import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Envelope } from '../../domain/envelope';
import { eventJson, matchesFilters, parseFilters, toDockerEvent } from './event';

const env = (over: Partial<Envelope> & Pick<Envelope, 'type' | 'data'>): Envelope =>
  ({ seq: 1n, time: 1795362936905123456n, v: 1, stream: 's', ...over }) as Envelope;

test('a death becomes Docker\'s die with exitCode, name and image attributes', () => {
  const ev = toDockerEvent(env({ type: 'container.died', data: { id: 'c1', exitCode: 3, finishedAt: 'x', reconciled: true }, meta: { name: 'web', image: 'busybox', labels: { a: 'b' } } }));
  assert.ok(ev);
  assert.equal(ev.Type, 'container');
  assert.equal(ev.Action, 'die');
  assert.deepEqual(ev.Actor, { ID: 'c1', Attributes: { a: 'b', image: 'busybox', name: 'web', exitCode: '3', reconciled: 'true' } });
  assert.equal(ev.time, 1795362936);
});

test('timeNano keeps every digit on the wire', () => {
  const ev = toDockerEvent(env({ type: 'container.started', data: { id: 'c1', pid: 1, conmonPid: 2, startedAt: 'x' } }));
  assert.ok(ev);
  const json = eventJson(ev);
  assert.match(json, /"timeNano":1795362936905123456[,}]/);
});

test('intents without a Docker action are not reported', () => {
  assert.equal(toDockerEvent(env({ type: 'container.start-requested', data: { id: 'c1' } })), undefined);
});

test('image events name the reference', () => {
  const ev = toDockerEvent(env({ type: 'image.untagged', data: { id: 'sha256:x', ref: 'busybox:latest' } }));
  assert.equal(ev?.Action, 'untag');
  assert.deepEqual(ev?.Actor.Attributes, { name: 'busybox:latest' });
});

test('filters: type, event, container name', () => {
  const ev = toDockerEvent(env({ type: 'container.created', data: { id: 'abc', name: 'web' } as never, meta: { name: 'web', image: 'busybox' } }))!;
  assert.ok(matchesFilters(ev, parseFilters('{"type":{"container":true},"event":{"create":true}}')));
  assert.ok(matchesFilters(ev, parseFilters('{"container":["web"]}')));
  assert.ok(!matchesFilters(ev, parseFilters('{"event":["die"]}')));
  assert.ok(!matchesFilters(ev, parseFilters('{"type":["image"]}')));
});

test('volume facts are Docker\'s volume create/mount/unmount/destroy; the intent is not reported', () => {
  const created = toDockerEvent(env({ type: 'volume.created', data: { id: 'data', driver: 'local', createdAt: 't', labels: null, options: null } }))!;
  assert.deepEqual({ ...created, timeNano: undefined }, { Type: 'volume', Action: 'create', Actor: { ID: 'data', Attributes: { driver: 'local' } }, scope: 'local', time: 1795362936, timeNano: undefined });
  const mounted = toDockerEvent(env({ type: 'volume.mounted', data: { id: 'data', container: 'c1', destination: '/d', rw: false, propagation: '' } }))!;
  assert.equal(mounted.Action, 'mount');
  assert.deepEqual(mounted.Actor.Attributes, { driver: 'local', container: 'c1', destination: '/d', propagation: '', 'read/write': 'false' });
  assert.equal(toDockerEvent(env({ type: 'volume.unmounted', data: { id: 'data', container: 'c1' } }))?.Action, 'unmount');
  assert.equal(toDockerEvent(env({ type: 'volume.removed', data: { id: 'data' } }))?.Action, 'destroy');
  assert.equal(toDockerEvent(env({ type: 'volume.remove-requested', data: { id: 'data' } })), undefined);
  assert.ok(matchesFilters(created, parseFilters('{"volume":{"data":true}}')));
  assert.ok(!matchesFilters(created, parseFilters('{"volume":{"other":true}}')));
  assert.ok(!matchesFilters(created, parseFilters('{"container":["data"]}')));
});
