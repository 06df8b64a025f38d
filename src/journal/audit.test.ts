import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { WharfEvent } from '../domain/events';
import { asDaemon, currentActor, describeActor, runAsClient } from './actor';
import { auditFilters, exportRecords, matchesFilters, objectHistory, rebuildTwice, stateAt } from './audit';
import { MemoryJournal } from './memory-journal';

const tag = (id: string, ref: string): WharfEvent => ({ type: 'image.tagged', data: { id, ref } });
const vol = (id: string): WharfEvent => ({ type: 'volume.created', data: { id, driver: 'local', createdAt: '2026-01-01T00:00:00Z', labels: null, options: null } } as unknown as WharfEvent);
const volGone = (id: string): WharfEvent => ({ type: 'volume.removed', data: { id } });

describe('who asked (meta.by)', () => {
  test('an append in a client context carries the client; elsewhere the daemon (named when a part says so)', async () => {
    const j = new MemoryJournal();
    j.actor = currentActor;
    await j.open();
    const client = { uid: 1000, gid: 100, pid: 42, userAgent: 'Docker-Client/28.2.2 (linux)' };
    const [a] = await runAsClient(client, () => j.append([tag('sha256:a', 'a:1')], { name: 'a:1' }));
    const [b] = await asDaemon('restart-policy', () => j.append([tag('sha256:a', 'a:2')]));
    const [c] = await j.append([tag('sha256:a', 'a:3')]);
    assert.deepEqual(a.meta, { name: 'a:1', by: client });
    assert.deepEqual(b.meta, { by: { daemon: 'restart-policy' } });
    assert.deepEqual(c.meta, { by: { daemon: true } });
    assert.equal(describeActor(a.meta?.by), 'uid=1000 gid=100 pid=42 Docker-Client/28.2.2 (linux)');
    assert.equal(describeActor(b.meta?.by), 'daemon (restart-policy)');
  });

  test("what a subscriber schedules acts as the daemon, not as the request whose append flushed the batch", async () => {
    const j = new MemoryJournal();
    j.actor = currentActor;
    await j.open();
    const seen: unknown[] = [];
    j.committed$.subscribe(() => setImmediate(() => seen.push(currentActor())));
    await runAsClient({ uid: 1 }, () => j.append([tag('sha256:a', 'a:1')]));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, [{ daemon: true }]);
  });

  test('a journal without an actor source writes meta as given', async () => {
    const j = new MemoryJournal();
    await j.open();
    const [a] = await runAsClient({ uid: 1 }, () => j.append([tag('sha256:a', 'a:1')]));
    assert.equal(a.meta, undefined);
  });
});

describe('audit replay', () => {
  test('filters: a type or its family, a stream prefix or kind; unknown keys refused', () => {
    const f = auditFilters({ type: ['container'], stream: ['container:ab'] });
    assert.ok(matchesFilters({ type: 'container.died', stream: 'container:abcd' }, f));
    assert.ok(!matchesFilters({ type: 'container.died', stream: 'container:bcd' }, f));
    assert.ok(!matchesFilters({ type: 'image.tagged', stream: 'container:abcd' }, f));
    assert.ok(matchesFilters({ type: 'volume.created', stream: 'volume:x' }, auditFilters({ stream: ['volume'] })));
    assert.throws(() => auditFilters({ name: ['x'] }), /invalid filter 'name'/);
  });

  test('at, history of a removed object by its old name, export by time, rebuild', async () => {
    const j = new MemoryJournal();
    await j.open();
    await j.append([vol('data')]);
    const mid = j.lastSeq;
    const [gone] = await j.append([volGone('data')]);
    await j.append([vol('other')]);
    const then = await stateAt(j, gone.time - 1n);
    assert.equal(then.Seq, Number(mid));
    assert.deepEqual(then.Volumes.map((v) => v.Name), ['data']);
    assert.deepEqual((await stateAt(j, gone.time)).Volumes, []);
    const h = await objectHistory(j, 'data');
    assert.equal(h.Exists, false);
    assert.deepEqual(h.Records.map((r) => r.type), ['volume.created', 'volume.removed']);
    await assert.rejects(objectHistory(j, 'nothing'), /no container, image, network or volume/);
    const since: string[] = [];
    for await (const r of exportRecords(j, { sinceTime: gone.time, filters: auditFilters({}) })) since.push(r.type);
    assert.deepEqual(since, ['volume.removed', 'volume.created']);
    const r = await rebuildTwice(j);
    assert.equal(r.Equal, true);
    assert.equal(r.Counts.volumes, 1);
  });
});
