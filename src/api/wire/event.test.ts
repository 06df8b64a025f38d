import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Envelope } from '../../domain/envelope';
import { EVENT_VERSION } from '../../domain/events';
import { decode, type StoredEnvelope } from '../../journal/codec';
import { eventJson, journalTypesFor, matchesFilters, parseFilters, storedRecordFilter, toDockerEvent, type EventFilters } from './event';

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
  // dockerd matches a name key on any event's actor (measured: --filter container=foo shows volume foovol).
  assert.ok(matchesFilters(created, parseFilters('{"container":["data"]}')));
  assert.ok(!matchesFilters(created, parseFilters('{"container":["other"]}')));
});

// One stored record of every type `docker events` reports, with the names a user filters on:
// container "web" (c0ffee...), network "foo-net", volume "foovol", image foo:1 / busybox.
const CID = 'c0ffee0123456789';
const NID = 'ne70123456789abc';
const IMG = 'sha256:abc0123456789';
const cmeta = { name: 'web', image: 'busybox', labels: { app: 'web', tier: 'a=b' } };
const SAMPLES: [string, Record<string, unknown>, Record<string, unknown>?][] = [
  ['container.created', { id: CID, name: 'web', image: 'busybox' }, cmeta],
  ['container.started', { id: CID, pid: 1, conmonPid: 2, startedAt: 't' }, cmeta],
  ['container.kill-requested', { id: CID, signal: 'SIGTERM' }, cmeta],
  ['container.died', { id: CID, exitCode: 1, finishedAt: 't', reconciled: true }, cmeta],
  ['container.stopped', { id: CID }, cmeta],
  ['container.oom-killed', { id: CID }, cmeta],
  ['container.paused', { id: CID }, cmeta],
  ['container.unpaused', { id: CID }, cmeta],
  ['container.renamed', { id: CID, oldName: 'web', name: 'front' }, cmeta],
  ['container.updated', { id: CID }, cmeta],
  ['container.destroyed', { id: CID }, cmeta],
  ['container.health-status', { id: CID, status: 'healthy' }, cmeta],
  ['container.network-connected', { id: CID, network: 'foo-net', networkId: NID }, cmeta],
  ['container.network-disconnected', { id: CID, network: 'foo-net', networkId: NID }, cmeta],
  ['exec.created', { id: 'e1', container: CID, config: {} }, { ...cmeta, execCmd: 'sh -c x' }],
  ['exec.started', { id: 'e1', container: CID }, { ...cmeta, execCmd: 'sh -c x' }],
  ['exec.died', { id: 'e1', container: CID, exitCode: 0 }, cmeta],
  ['network.created', { id: NID, name: 'foo-net' }],
  ['network.removed', { id: NID, name: 'foo-net' }],
  ['image.imported', { id: IMG }, { name: 'busybox:latest' }],
  ['image.committed', { id: 'sha256:def0', container: CID, comment: 'c' }, { name: 'app:v1', containerName: 'web', containerImage: 'busybox' }],
  ['image.tagged', { id: IMG, ref: 'foo:1' }, { name: 'foo:1' }],
  ['image.untagged', { id: IMG, ref: 'foo:1' }, { name: 'foo:1' }],
  ['image.deleted', { id: IMG }],
  ['image.loaded', { id: IMG }, { name: 'busybox:latest' }],
  ['image.saved', { id: IMG }, { name: 'busybox:latest' }],
  ['image.pulled', { ref: 'localhost:5000/team/app:v1' }],
  ['image.pushed', { ref: 'docker.io/library/foo:1' }],
  ['volume.created', { id: 'foovol', driver: 'local', createdAt: 't', labels: null, options: null }],
  ['volume.removed', { id: 'foovol' }],
  ['volume.mounted', { id: 'foovol', container: CID, destination: '/d', rw: true, propagation: '' }],
  ['volume.unmounted', { id: 'foovol', container: CID }],
];
const stored = (type: string, data: Record<string, unknown>, meta?: Record<string, unknown>): StoredEnvelope => ({
  seq: '1', time: '1795362936905123456', type, v: EVENT_VERSION[type as keyof typeof EVENT_VERSION], stream: 's', data, ...(meta ? { meta } : {}),
});
const RECORDS = SAMPLES.map(([t, d, m]) => stored(t, d, m));
const eventOf = (s: StoredEnvelope) => toDockerEvent(decode(s))!;

/** Every value worth filtering on: each actor id and attribute of the samples, its short prefixes, and strangers. */
function valuePool(): string[] {
  const out = new Set(['', 'zzz', 'sha256', 'busybox', 'foo', 'localhost:5000/team/app', 'docker.io/library/busybox:latest', 'local', 'swarm', 'daemon']);
  for (const s of RECORDS) {
    const ev = eventOf(s);
    for (const v of [ev.Actor.ID, ev.Action, ev.Type, ...Object.values(ev.Actor.Attributes)]) {
      for (const n of [1, 2, 3, 5, 8, v.length]) out.add(v.slice(0, n));
    }
  }
  return [...out];
}

test('the samples cover every type docker events reports', () => {
  assert.deepEqual(new Set(SAMPLES.map(([t]) => t)), journalTypesFor({}));
  for (const s of RECORDS) assert.ok(toDockerEvent(decode(s)), s.type);
});

test('the stored-record pre-filter never drops a record whose event the filters pass', () => {
  const pool = valuePool();
  const keys = ['container', 'daemon', 'plugin', 'volume', 'network', 'service', 'node', 'secret', 'config', 'image', 'type', 'event', 'scope', 'label', 'bogus'];
  const labels = ['app', 'app=web', 'app=db', 'tier=a=b', 'tier=a', 'name=web', 'name', 'exitCode=1', 'driver=local', 'container', 'read/write=true', 'nope', 'nope=1', 'constructor', '__proto__'];
  const filters: EventFilters[] = [{}];
  for (const k of keys) for (const v of k === 'label' ? labels : pool) filters.push({ [k]: [v] });
  // Pairs and several values of a key, from a fixed sequence so that a failure replays.
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  const pick = (k: string) => (k === 'label' ? labels : pool)[rnd(k === 'label' ? labels.length : pool.length)];
  for (let i = 0; i < 4000; i++) {
    const f: EventFilters = {};
    for (let j = 0; j < 1 + rnd(3); j++) {
      const k = keys[rnd(keys.length)];
      (f[k] ??= []).push(pick(k));
    }
    filters.push(f);
  }
  filters.push({ event: ['health_status', 'st'] }, { event: ['exec_create', 'exec_die'] }, { event: ['exec_create: sh -c x'] }, { event: ['health_status: healthy'] });
  let passed = 0;
  for (const f of filters) {
    const accept = storedRecordFilter(f);
    for (const s of RECORDS) {
      if (!matchesFilters(eventOf(s), f)) continue;
      passed++;
      assert.ok(accept(s), `${s.type} under ${JSON.stringify(f)}: the event passes, the pre-filter dropped it`);
    }
  }
  assert.ok(passed > 10_000, `only ${passed} matching pairs: the pool is too thin to hold the two together`);
});

test('the pre-filter skips what no event can pass: scope swarm, another type, another name', () => {
  const kept = (f: EventFilters) => RECORDS.filter(storedRecordFilter(f)).map((s) => s.type);
  assert.deepEqual(kept({ scope: ['swarm'] }), []);
  assert.equal(kept({ scope: ['local'] }).length, RECORDS.length);
  assert.deepEqual(kept({ type: ['daemon'] }), []);
  assert.deepEqual(kept({ type: ['volume'] }), ['volume.created', 'volume.removed', 'volume.mounted', 'volume.unmounted']);
  assert.deepEqual(kept({ network: ['zzz'] }), []);
  assert.deepEqual(kept({ daemon: ['zzz'] }), []);
  assert.deepEqual(kept({ event: ['exec_die'] }), ['exec.died']);
  assert.deepEqual(kept({ label: ['nope'] }), []);
});

test('name keys match as dockerd does: an actor id or name it equals or begins, whatever the type', () => {
  const types = (f: string) => RECORDS.filter((s) => matchesFilters(eventOf(s), parseFilters(f))).map((s) => `${eventOf(s).Type} ${eventOf(s).Action}`);
  for (const k of ['container', 'network', 'volume', 'daemon', 'plugin', 'node', 'service', 'secret', 'config']) {
    // "foo" begins the network foo-net (named in connect/disconnect too), the volume foovol, the tag foo:1.
    assert.deepEqual(types(`{"${k}":["foo"]}`), ['network connect', 'network disconnect', 'network create', 'network destroy', 'image tag', 'image untag', 'volume create', 'volume destroy', 'volume mount', 'volume unmount'], k);
  }
  assert.deepEqual(types('{"network":["foo-net"],"type":["network"]}'), ['network connect', 'network disconnect', 'network create', 'network destroy']);
  assert.deepEqual(types(`{"network":["${NID.slice(0, 6)}"]}`), ['network connect', 'network disconnect', 'network create', 'network destroy']);
  assert.deepEqual(types('{"scope":["swarm"]}'), []);
  assert.equal(types('{"scope":["local"]}').length, RECORDS.length);
  assert.equal(types('{"bogus":["1"]}').length, RECORDS.length, 'a key dockerd does not know is ignored');
  assert.deepEqual(types('{"type":["daemon"]}'), []);
});

test('event, image and label filters as dockerd reads them', () => {
  const actions = (f: string) => RECORDS.filter((s) => matchesFilters(eventOf(s), parseFilters(f))).map((s) => eventOf(s).Action);
  // Exact, unless one value is health_status, exec_create or exec_start: then each value is a prefix.
  assert.deepEqual(actions('{"event":["exec_create"]}'), ['exec_create: sh -c x']);
  assert.deepEqual(actions('{"event":["exec"]}'), []);
  assert.deepEqual(actions('{"event":["health_status","st"]}'), ['start', 'stop', 'health_status: healthy']);
  assert.deepEqual(actions('{"event":["health_status: healthy"]}'), ['health_status: healthy']);
  // image: the id, the name, or either without its tag (familiar name).
  assert.deepEqual(actions('{"image":["foo"]}'), ['tag', 'untag', 'push']);
  assert.deepEqual(actions('{"image":["localhost:5000/team/app"]}'), ['pull']);
  // 12 container facts, 3 execs and the commit (whose image attribute is the container's).
  assert.equal(actions('{"image":["busybox"],"type":["container"]}').length, 16);
  // label: the value after the first "=" whole; any attribute counts; no inherited keys.
  // The labels ride on the 12 container facts and the 3 execs.
  assert.equal(actions('{"label":["tier=a=b"]}').length, 15);
  assert.deepEqual(actions('{"label":["tier=a"]}'), []);
  assert.deepEqual(actions('{"label":["constructor"]}'), []);
  assert.deepEqual(actions('{"label":["exitCode=1"]}'), ['die']);
});
