import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventually, sleep, TestDaemon } from './helpers/wharfd';

// Audit replay: `wharf journal export|at|history|rebuild` through the running daemon and on a
// stopped daemon's data root, and who asked for every record (the docker CLI's uid, gid, pid and
// User-Agent; the daemon's own parts by name).

interface Rec {
  seq: number;
  time: string;
  type: string;
  version: number;
  stream: string;
  data: Record<string, unknown>;
  meta: { by?: { uid?: number; gid?: number; pid?: number; userAgent?: string; daemon?: string | true }; name?: string };
}

const lines = (out: string): Rec[] => out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec);
/** Whether `want` appears in `types` in order (other records may come between). */
const inOrder = (types: string[], want: string[]) => want.every(((i) => (w: string) => (i = types.indexOf(w, i) + 1) > 0)(0));

describe('wharf journal: audit replay', () => {
  const d = new TestDaemon();
  let oldId = '';
  let between = '';
  let online: Rec[] = [];

  before(async () => {
    await d.start();
    d.importBusybox();
    oldId = d.dockerOk(['run', '-d', '--name', 'old', 'busybox', 'sleep', '60']).trim();
    await sleep(50);
    between = new Date().toISOString();
    await sleep(50);
    d.dockerOk(['rm', '-f', 'old']);
    d.dockerOk(['volume', 'create', 'audit-vol']);
    d.dockerOk(['run', '-d', '--name', 'rp', '--restart', 'on-failure:1', 'busybox', 'false']);
    // The policy's restart, then its second death: the container stays exited.
    await eventually(() => d.dockerOk(['inspect', '-f', '{{.RestartCount}} {{.State.Status}}', 'rp']).trim() === '1 exited', 15_000, 'rp restarted once');
  });
  after(() => d.cleanup());

  test('export: JSON lines with seq, time, type, version, stream, data, meta; filters by type and stream; --since and --until', () => {
    online = lines(d.wharfOk(['journal', 'export']));
    assert.ok(online.length > 10);
    assert.deepEqual(Object.keys(online[0]), ['seq', 'time', 'type', 'version', 'stream', 'data', 'meta']);
    assert.deepEqual(online.map((r) => r.seq), online.map((_r, i) => i + 1));

    const created = lines(d.wharfOk(['journal', 'export', '--filter', 'type=container.created']));
    assert.deepEqual(created.map((r) => r.data.name), ['old', 'rp']);
    const family = lines(d.wharfOk(['journal', 'export', '--filter', 'type=volume']));
    assert.ok(family.length >= 1 && family.every((r) => r.type.startsWith('volume.')));
    const one = lines(d.wharfOk(['journal', 'export', '--filter', `stream=container:${oldId.slice(0, 12)}`]));
    assert.ok(one.length >= 5 && one.every((r) => r.stream === `container:${oldId}`));
    const both = lines(d.wharfOk(['journal', 'export', '--filter', 'type=container.created', '--filter', `stream=container:${oldId.slice(0, 12)}`]));
    assert.equal(both.length, 1);

    const since = lines(d.wharfOk(['journal', 'export', '--since', between]));
    assert.ok(since.length > 0 && since.every((r) => r.time >= between.replace('Z', '')));
    assert.ok(since.some((r) => r.type === 'container.destroyed' && r.stream === `container:${oldId}`));
    assert.ok(!since.some((r) => r.type === 'container.created' && r.stream === `container:${oldId}`));
    const until = lines(d.wharfOk(['journal', 'export', '--until', between]));
    assert.equal(until.length + since.length, online.length);
    // Relative durations as docker events takes them.
    assert.equal(lines(d.wharfOk(['journal', 'export', '--since', '10m'])).length, online.length);
    assert.equal(lines(d.wharfOk(['journal', 'export', '--until', String(Math.floor(Date.parse(between) / 1000) - 3600)])).length, 0);

    const bad = d.wharf(['journal', 'export', '--filter', 'name=x']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /invalid filter 'name'/);
  });

  test('at: a container that existed then and was removed later is there, with its state and image', () => {
    const then = JSON.parse(d.wharfOk(['journal', 'at', between, '--json'])) as { Containers: { Id: string; Name: string; Image: string; State: string }[]; Images: { Tags: string[] }[]; Volumes: { Name: string }[] };
    assert.deepEqual(then.Containers.map((c) => [c.Id, c.Name, c.Image, c.State]), [[oldId, 'old', 'busybox', 'running']]);
    assert.deepEqual(then.Images.map((i) => i.Tags), [['busybox:latest']]);
    assert.deepEqual(then.Volumes, []);
    const now = JSON.parse(d.wharfOk(['journal', 'at', '0s', '--json'])) as typeof then;
    assert.deepEqual(now.Containers.map((c) => c.Name), ['rp']);
    assert.deepEqual(now.Volumes.map((v) => v.Name), ['audit-vol']);
    const table = d.wharfOk(['journal', 'at', between]);
    assert.match(table, /CONTAINER ID\s+NAME\s+IMAGE\s+STATE\n[0-9a-f]{12}\s+old\s+busybox\s+running/);
    assert.match(table, /busybox:latest/);
  });

  test('history of a removed container by its old name: create, start, die, destroy, with the CLI that asked', () => {
    const h = JSON.parse(d.wharfOk(['journal', 'history', 'old', '--json'])) as { Kind: string; Id: string; Exists: boolean; Records: Rec[] };
    assert.equal(h.Kind, 'container');
    assert.equal(h.Id, oldId);
    assert.equal(h.Exists, false);
    const types = h.Records.map((r) => r.type);
    assert.ok(inOrder(types, ['container.created', 'container.start-requested', 'container.started', 'container.died', 'container.destroyed']), types.join(' '));
    const created = h.Records.find((r) => r.type === 'container.created')!;
    assert.match(created.meta.by?.userAgent ?? '', /^Docker-Client\//);
    assert.equal(created.meta.by?.uid, process.getuid!());
    assert.equal(created.meta.by?.gid, process.getgid!());
    assert.ok(Number.isInteger(created.meta.by?.pid) && created.meta.by!.pid! > 0);
    const destroyed = h.Records.find((r) => r.type === 'container.destroyed')!;
    assert.match(destroyed.meta.by?.userAgent ?? '', /^Docker-Client\//);
    // docker run and docker rm are two processes.
    assert.notEqual(destroyed.meta.by?.pid, created.meta.by?.pid);
    // The death was seen by the daemon's exit monitor, not asked for.
    assert.equal(h.Records.find((r) => r.type === 'container.died')!.meta.by?.daemon, 'exit-monitor');
    // By short id too, and as a table naming who asked.
    assert.equal((JSON.parse(d.wharfOk(['journal', 'history', oldId.slice(0, 10), '--json'])) as { Id: string }).Id, oldId);
    const table = d.wharfOk(['journal', 'history', 'old']);
    assert.match(table, /container\.created\s+uid=\d+ gid=\d+ pid=\d+ Docker-Client\//);
    assert.match(table, /container\.died\s+daemon \(exit-monitor\)/);
    assert.match(d.wharf(['journal', 'history', 'never-was']).stderr, /no container, image, network or volume named or with id never-was/);
  });

  test('a restart made by the policy says the daemon asked; an image and a volume have histories too', () => {
    const h = JSON.parse(d.wharfOk(['journal', 'history', 'rp', '--json'])) as { Records: Rec[] };
    const starts = h.Records.filter((r) => r.type === 'container.start-requested');
    assert.equal(starts.length, 2);
    assert.match(starts[0].meta.by?.userAgent ?? '', /^Docker-Client\//);
    assert.deepEqual(starts[1].meta.by, { daemon: 'restart-policy' });
    const img = JSON.parse(d.wharfOk(['journal', 'history', 'busybox', '--json'])) as { Kind: string; Records: Rec[] };
    assert.equal(img.Kind, 'image');
    assert.deepEqual(img.Records.map((r) => r.type), ['image.imported', 'image.tagged']);
    const vol = JSON.parse(d.wharfOk(['journal', 'history', 'audit-vol', '--json'])) as { Kind: string; Records: Rec[] };
    assert.equal(vol.Kind, 'volume');
    assert.match(vol.Records[0].meta.by?.userAgent ?? '', /^Docker-Client\//);
  });

  test('rebuild: every projection from the journal alone equals the live views', () => {
    const out = d.wharfOk(['journal', 'rebuild']);
    assert.match(out, /equal to the live views/);
    const r = JSON.parse(d.wharfOk(['journal', 'rebuild', '--json'])) as { Equal: boolean; Counts: Record<string, number> };
    assert.equal(r.Equal, true);
    assert.equal(r.Counts.containers, 1);
  });

  test('--data-root: refused while the daemon holds the journal; on the stopped daemon the same answers, the data root untouched', async () => {
    const refused = d.wharf(['journal', 'export', '--data-root', d.dataRoot]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /locked by a running daemon \(pid \d+\)/);
    online = lines(d.wharfOk(['journal', 'export']));
    await d.stop();
    const journal = path.join(d.dataRoot, 'journal');
    const files = () => readdirSync(journal).map((f) => `${f} ${statSync(path.join(journal, f)).size} ${statSync(path.join(journal, f)).mtimeMs}`).sort();
    const before = files();

    assert.deepEqual(lines(d.wharfOk(['journal', 'export', '--data-root', d.dataRoot])), online);
    const since = lines(d.wharfOk(['journal', 'export', '--data-root', d.dataRoot, '--since', between, '--filter', 'type=container']));
    assert.ok(since.length > 0 && since.every((r) => r.type.startsWith('container.') && r.time >= between.replace('Z', '')));
    const then = JSON.parse(d.wharfOk(['journal', 'at', '--data-root', d.dataRoot, between, '--json'])) as { Containers: { Name: string; State: string }[] };
    assert.deepEqual(then.Containers.map((c) => [c.Name, c.State]), [['old', 'running']]);
    const h = JSON.parse(d.wharfOk(['journal', 'history', '--data-root', d.dataRoot, 'old', '--json'])) as { Id: string; Records: Rec[] };
    assert.equal(h.Id, oldId);
    assert.match(h.Records[0].meta.by?.userAgent ?? '', /^Docker-Client\//);
    assert.match(d.wharfOk(['journal', 'rebuild', '--data-root', d.dataRoot]), /1 containers, 1 images, .*equal to a second replay/);

    assert.deepEqual(files(), before);
    const missing = d.wharf(['journal', 'export', '--data-root', path.join(d.dir, 'nothing')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no journal in/);
  });
});
