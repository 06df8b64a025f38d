import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { api, TestDaemon } from './helpers/wharfd';

// Docker volumes driven by the real docker CLI (and wharf's): named, anonymous, the image's,
// --mount, --volumes-from, rm -v, prune, events, and a daemon killed with -9.
const d = new TestDaemon();
before(async () => {
  await d.start();
  d.importBusybox();
  // An image with a VOLUME and content at that path, for copy-up and anonymous volumes.
  const base = d.docker(['run', '--name', 'volbase', 'busybox', 'sh', '-c', 'mkdir -p /data && echo seeded > /data/seed']);
  assert.equal(base.code, 0, base.stderr);
  const commit = d.docker(['commit', '--change', 'VOLUME /data', 'volbase', 'withvol:latest']);
  assert.equal(commit.code, 0, commit.stderr);
  d.docker(['rm', 'volbase']);
});
after(async () => {
  await d.cleanup();
});
// Each test starts from no containers and no volumes, even when the one before failed.
afterEach(() => {
  const ids = d.docker(['ps', '-aq']).stdout.split('\n').filter(Boolean);
  if (ids.length) d.docker(['rm', '-f', '-v', ...ids]);
  d.docker(['volume', 'prune', '-a', '-f']);
});

const ok = (args: string[]) => {
  const r = d.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const inspect = (ref: string) => JSON.parse(ok(['inspect', ref]))[0];
const volumeNames = () => ok(['volume', 'ls', '-q']).split('\n').filter(Boolean);
const since = () => String(Math.floor(Date.now() / 1000) - 1);
const until = () => String(Math.floor(Date.now() / 1000) + 1);

describe('named volumes', () => {
  test('data written in one container is read by another and outlives both', () => {
    assert.equal(ok(['volume', 'create', 'shared']), 'shared\n');
    ok(['run', '--name', 'writer', '-v', 'shared:/data', 'busybox', 'sh', '-c', 'echo hello > /data/f']);
    assert.equal(ok(['run', '--rm', '-v', 'shared:/in', 'busybox', 'cat', '/in/f']), 'hello\n');
    ok(['rm', 'writer']);
    assert.equal(ok(['run', '--rm', '--mount', 'type=volume,source=shared,target=/m,readonly', 'busybox', 'cat', '/m/f']), 'hello\n');
    assert.ok(volumeNames().includes('shared'));
    ok(['volume', 'rm', 'shared']);
    assert.ok(!volumeNames().includes('shared'));
  });

  test('volume inspect and container inspect show Docker\'s shapes', () => {
    ok(['volume', 'create', '--label', 'team=a', 'shape']);
    const v = JSON.parse(ok(['volume', 'inspect', 'shape']))[0];
    assert.deepEqual(Object.keys(v).sort(), ['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope']);
    assert.equal(v.Name, 'shape');
    assert.equal(v.Driver, 'local');
    assert.equal(v.Scope, 'local');
    assert.deepEqual(v.Labels, { team: 'a' });
    assert.equal(v.Mountpoint, path.join(d.dataRoot, 'volumes', 'shape', '_data'));
    assert.ok(existsSync(v.Mountpoint));
    assert.match(v.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
    assert.equal(ok(['volume', 'inspect', '-f', '{{.Name}} {{.Driver}}', 'shape']), 'shape local\n');

    const host = path.join(d.dir, 'bindsrc');
    mkdirSync(host, { recursive: true });
    ok(['create', '--name', 'shaped', '-v', 'shape:/s', '-v', `${host}:/b:ro`, '--mount', 'type=volume,target=/anon', 'busybox', 'true']);
    const c = inspect('shaped');
    const byDest = Object.fromEntries(c.Mounts.map((m: { Destination: string }) => [m.Destination, m]));
    assert.deepEqual(byDest['/s'], { Type: 'volume', Name: 'shape', Source: v.Mountpoint, Destination: '/s', Driver: 'local', Mode: 'z', RW: true, Propagation: '' });
    assert.deepEqual(byDest['/b'], { Type: 'bind', Source: host, Destination: '/b', Mode: 'ro', RW: false, Propagation: 'rprivate' });
    assert.match(byDest['/anon'].Name, /^[0-9a-f]{64}$/);
    // The docker CLI builds Binds from a map: their order is random.
    assert.deepEqual([...c.HostConfig.Binds].sort(), [`${host}:/b:ro`, 'shape:/s'].sort());
    assert.equal(c.HostConfig.Mounts[0].Type, 'volume');
    assert.equal(c.HostConfig.Mounts[0].Target, '/anon');
    const anon = JSON.parse(ok(['volume', 'inspect', byDest['/anon'].Name]))[0];
    assert.deepEqual(anon.Labels, { 'com.docker.volume.anonymous': '' });
    assert.equal(ok(['ps', '-a', '--filter', 'volume=shape', '--format', '{{.Names}}']), 'shaped\n');
    assert.equal(ok(['ps', '-a', '--filter', 'volume=nosuch', '--format', '{{.Names}}']), '');
    ok(['rm', '-v', 'shaped']);
    assert.ok(!volumeNames().includes(byDest['/anon'].Name));
    ok(['volume', 'rm', 'shape']);
  });

  test('a volume in use, even by a stopped container, is not removed: 409, exit 1', () => {
    const id = ok(['create', '--name', 'holder', '-v', 'busy:/x', 'busybox', 'true']).trim();
    const r = d.docker(['volume', 'rm', 'busy']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `Error response from daemon: remove busy: volume is in use - [${id}]\n`);
    const f = d.docker(['volume', 'rm', '-f', 'busy']);
    assert.equal(f.code, 1, 'force does not remove a volume in use');
    ok(['start', 'holder']);
    assert.equal(d.docker(['volume', 'rm', 'busy']).code, 1);
    ok(['rm', 'holder']);
    assert.equal(ok(['volume', 'rm', 'busy']), 'busy\n');
    const missing = d.docker(['volume', 'rm', 'busy']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'Error response from daemon: get busy: no such volume\n');
    assert.equal(d.docker(['volume', 'rm', '-f', 'busy']).code, 0);
    const badName = d.docker(['volume', 'create', 'no/slash']);
    assert.equal(badName.code, 1);
    assert.match(badName.stderr, /"no\/slash" includes invalid characters for a local volume name/);
  });
});

describe('anonymous volumes', () => {
  test('rm -v removes the container\'s anonymous volumes, not its named ones; --rm does too', () => {
    ok(['run', '--name', 'mixed', '-v', '/anon', '-v', 'kept:/named', 'busybox', 'sh', '-c', 'echo a > /anon/a; echo n > /named/n']);
    const anon = inspect('mixed').Mounts.find((m: { Destination: string }) => m.Destination === '/anon').Name;
    assert.match(anon, /^[0-9a-f]{64}$/);
    assert.equal(readFileSync(path.join(d.dataRoot, 'volumes', anon, '_data', 'a'), 'utf8'), 'a\n');
    ok(['rm', '-v', 'mixed']);
    const names = volumeNames();
    assert.ok(!names.includes(anon), 'anonymous volume removed');
    assert.ok(names.includes('kept'), 'named volume kept');
    assert.ok(!existsSync(path.join(d.dataRoot, 'volumes', anon)));

    const before = new Set(volumeNames());
    ok(['run', '--rm', '-v', '/scratch', 'busybox', 'true']);
    assert.deepEqual(new Set(volumeNames()), before, '--rm leaves no anonymous volume');

    ok(['run', '--name', 'plain', '-v', '/left', 'busybox', 'true']);
    const left = inspect('plain').Mounts[0].Name;
    ok(['rm', 'plain']);
    assert.ok(volumeNames().includes(left), 'rm without -v keeps the anonymous volume');
    ok(['volume', 'rm', left, 'kept']);
  });

  test('the image\'s VOLUME gets an anonymous volume filled from the image; -v over it, nocopy', () => {
    assert.deepEqual(JSON.parse(ok(['image', 'inspect', '-f', '{{json .Config.Volumes}}', 'withvol'])), { '/data': {} });
    ok(['run', '--name', 'iv', 'withvol', 'sh', '-c', 'cat /data/seed; echo mine > /data/mine']);
    const m = inspect('iv').Mounts;
    assert.equal(m.length, 1);
    assert.equal(m[0].Destination, '/data');
    assert.match(m[0].Name, /^[0-9a-f]{64}$/);
    assert.equal(readFileSync(path.join(m[0].Source, 'seed'), 'utf8'), 'seeded\n');
    assert.equal(ok(['logs', 'iv']), 'seeded\n');
    // An empty named volume over the path gets the image's content; a bind replaces it.
    assert.equal(ok(['run', '--rm', '-v', 'filled:/data', 'withvol', 'cat', '/data/seed']), 'seeded\n');
    assert.equal(ok(['run', '--rm', '-v', 'filled:/data', 'withvol', 'sh', '-c', 'echo changed > /data/seed; cat /data/seed']), 'changed\n');
    assert.equal(ok(['run', '--rm', '-v', 'filled:/data', 'withvol', 'cat', '/data/seed']), 'changed\n', 'a volume with content is not filled again');
    assert.equal(ok(['run', '--rm', '--mount', 'type=volume,source=empty,target=/data,volume-nocopy', 'withvol', 'ls', '-A', '/data']), '');
    assert.equal(ok(['run', '--rm', '-v', 'empty2:/data:nocopy', 'withvol', 'ls', '-A', '/data']), '');
    const host = path.join(d.dir, 'over');
    mkdirSync(host, { recursive: true });
    ok(['run', '--name', 'bound', '-v', `${host}:/data`, 'withvol', 'true']);
    assert.deepEqual(inspect('bound').Mounts.map((x: { Type: string }) => x.Type), ['bind'], 'no anonymous volume under a bind');
    ok(['rm', '-v', 'iv', 'bound']);
    ok(['volume', 'rm', 'filled', 'empty', 'empty2']);
  });
});

describe('--volumes-from', () => {
  test('copies volumes and binds; :ro makes writes fail', async () => {
    const host = path.join(d.dir, 'vf-bind');
    mkdirSync(host, { recursive: true });
    writeFileSync(path.join(host, 'h'), 'host\n');
    ok(['create', '--name', 'src', '-v', 'vfvol:/v', '-v', '/anonvf', '-v', `${host}:/h`, 'busybox', 'true']);
    ok(['run', '--rm', '--volumes-from', 'src', 'busybox', 'sh', '-c', 'echo w > /v/w && echo a > /anonvf/a']);
    assert.equal(ok(['run', '--rm', '--volumes-from', 'src:rw', 'busybox', 'cat', '/v/w', '/anonvf/a', '/h/h']), 'w\na\nhost\n');
    const ro = d.docker(['run', '--rm', '--volumes-from', 'src:ro', 'busybox', 'sh', '-c', 'cat /v/w; echo x > /v/x']);
    assert.equal(ro.stdout, 'w\n');
    assert.notEqual(ro.code, 0);
    assert.match(ro.stderr, /Read-only file system/);
    const roBind = d.docker(['run', '--rm', '--volumes-from', 'src:ro', 'busybox', 'sh', '-c', 'echo x > /h/x']);
    assert.match(roBind.stderr, /Read-only file system/);
    ok(['create', '--name', 'copy', '--volumes-from', 'src:ro', 'busybox', 'true']);
    const mounts = inspect('copy').Mounts;
    assert.deepEqual(mounts.map((m: { Destination: string; RW: boolean }) => [m.Destination, m.RW]).sort(), [['/anonvf', false], ['/h', false], ['/v', false]]);
    assert.deepEqual(inspect('copy').HostConfig.VolumesFrom, ['src:ro']);
    // Docker refuses it before doing anything: 400 (asked of the API itself).
    const missing = await api(d.sock, 'POST', '/v1.50/containers/create', JSON.stringify({ Image: 'busybox', Cmd: ['true'], HostConfig: { VolumesFrom: ['nosuch'] } }), { 'Content-Type': 'application/json' });
    assert.equal(missing.status, 400);
    assert.deepEqual(JSON.parse(missing.body), { message: 'No such container: nosuch' });
    // The volume is used by both: it stays until the last user is gone.
    ok(['rm', '-v', 'src']);
    assert.ok(volumeNames().includes('vfvol'));
    ok(['rm', 'copy']);
    ok(['volume', 'rm', 'vfvol']);
  });
});

describe('ls, prune, events', () => {
  test('volume ls (table, -q, filters), prune (anonymous by default, --all), events', () => {
    const t0 = since();
    ok(['volume', 'create', '--label', 'env=test', 'lsa']);
    ok(['volume', 'create', 'lsb']);
    ok(['create', '--name', 'user', '-v', 'lsb:/b', '-v', '/anonls', 'busybox', 'true']);
    const anon = inspect('user').Mounts.find((m: { Destination: string }) => m.Destination === '/anonls').Name;
    const table = ok(['volume', 'ls']);
    assert.equal(table.split('\n')[0], 'DRIVER    VOLUME NAME');
    assert.match(table, /^local     lsa$/m);
    assert.match(table, /^local     lsb$/m);
    assert.equal(ok(['volume', 'ls', '-q', '--filter', 'name=ls']).split('\n').filter(Boolean).sort().join(' '), ['lsa', 'lsb', ...(anon.includes('ls') ? [anon] : [])].sort().join(' '));
    assert.equal(ok(['volume', 'ls', '-q', '--filter', 'label=env=test']), 'lsa\n');
    assert.equal(ok(['volume', 'ls', '-q', '--filter', 'dangling=true']), 'lsa\n');
    assert.equal(ok(['volume', 'ls', '--format', '{{.Name}}:{{.Labels}}', '--filter', 'label=env']), 'lsa:env=test\n');

    // In use: nothing to prune. Default prune takes anonymous volumes only.
    assert.equal(ok(['volume', 'prune', '-f']), 'Total reclaimed space: 0B\n');
    ok(['rm', 'user']);
    writeFileSync(path.join(d.dataRoot, 'volumes', anon, '_data', 'x'), '12345');
    assert.equal(ok(['volume', 'prune', '-f']), `Deleted Volumes:\n${anon}\n\nTotal reclaimed space: 5B\n`);
    assert.deepEqual(volumeNames().sort(), ['lsa', 'lsb']);
    const pa = ok(['volume', 'prune', '-a', '-f', '--filter', 'label=env=test']);
    assert.equal(pa, 'Deleted Volumes:\nlsa\n\nTotal reclaimed space: 0B\n');
    const all = ok(['volume', 'prune', '--all', '--force']);
    assert.match(all, /^Deleted Volumes:\nlsb\n/);
    assert.deepEqual(volumeNames(), []);

    const ev = ok(['events', '--since', t0, '--until', until(), '--filter', 'type=volume', '--format', '{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.driver}}']);
    const lines = ev.split('\n').filter(Boolean);
    assert.ok(lines.includes('create lsa local'), ev);
    assert.ok(lines.includes(`create ${anon} local`), ev);
    assert.ok(lines.includes('destroy lsa local'), ev);
    assert.ok(lines.includes(`destroy ${anon} local`), ev);
    const json = JSON.parse(ok(['events', '--since', t0, '--until', until(), '--filter', 'volume=lsa', '--format', '{{json .}}']).split('\n')[0]);
    assert.equal(json.Type, 'volume');
    assert.equal(json.Action, 'create');
    assert.deepEqual(json.Actor, { ID: 'lsa', Attributes: { driver: 'local' } });
  });

  test('mount on start, unmount when the container stops', () => {
    const t0 = since();
    ok(['run', '--name', 'mnt', '-v', 'evvol:/e:ro', 'busybox', 'true']);
    const ev = ok(['events', '--since', t0, '--until', until(), '--filter', 'volume=evvol', '--format', '{{.Action}} {{.Actor.ID}} {{json .Actor.Attributes}}']);
    const cid = inspect('mnt').Id;
    assert.equal(
      ev,
      'create evvol {"driver":"local"}\n' +
        `mount evvol {"container":"${cid}","destination":"/e","driver":"local","propagation":"","read/write":"false"}\n` +
        `unmount evvol {"container":"${cid}","driver":"local"}\n`,
    );
    ok(['rm', 'mnt']);
    ok(['volume', 'rm', 'evvol']);
  });
});

describe('wharf CLI', () => {
  test('wharf volume create/ls/inspect/rm/prune', () => {
    const w = (args: string[]) => {
      const r = d.wharf(args);
      assert.equal(r.code, 0, `wharf ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    assert.equal(w(['volume', 'create', '--label', 'k=v', 'wv']), 'wv\n');
    assert.equal(w(['volume', 'create', '--name', 'wv2']), 'wv2\n');
    assert.equal(w(['volume', 'ls']), 'DRIVER    VOLUME NAME\nlocal     wv\nlocal     wv2\n');
    assert.equal(w(['volume', 'ls', '-q', '-f', 'label=k']), 'wv\n');
    const v = JSON.parse(w(['volume', 'inspect', 'wv']))[0];
    assert.equal(v.Mountpoint, path.join(d.dataRoot, 'volumes', 'wv', '_data'));
    assert.equal(w(['volume', 'inspect', '--format', '{{.Labels.k}}', 'wv']), 'v\n');
    const missing = d.wharf(['volume', 'inspect', 'nope']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'Error response from daemon: get nope: no such volume\n');
    ok(['create', '--name', 'wuser', '-v', 'wv:/x', 'busybox', 'true']);
    const busy = d.wharf(['volume', 'rm', 'wv']);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /^Error response from daemon: remove wv: volume is in use - \[[0-9a-f]{64}\]\n$/);
    ok(['rm', 'wuser']);
    assert.equal(w(['volume', 'prune', '-f']), 'Total reclaimed space: 0B\n');
    assert.equal(w(['volume', 'prune', '-a', '-f', '--filter', 'label=k']), 'Deleted Volumes:\nwv\n\nTotal reclaimed space: 0B\n');
    assert.equal(w(['volume', 'rm', 'wv2']), 'wv2\n');
  });

  test('wharf run -v, --mount and --volumes-from', () => {
    const w = (args: string[]) => {
      const r = d.wharf(args);
      assert.equal(r.code, 0, `wharf ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    w(['run', '--name', 'wsrc', '-v', 'wrun:/d', '-v', '/wanon', 'busybox', 'sh', '-c', 'echo x > /d/f; echo y > /wanon/g']);
    assert.equal(w(['run', '--rm', '--mount', 'type=volume,source=wrun,target=/m,readonly', 'busybox', 'cat', '/m/f']), 'x\n');
    assert.equal(w(['run', '--rm', '--volumes-from', 'wsrc', 'busybox', 'cat', '/d/f', '/wanon/g']), 'x\ny\n');
    const ro = d.wharf(['run', '--rm', '--volumes-from', 'wsrc:ro', 'busybox', 'touch', '/d/z']);
    assert.notEqual(ro.code, 0);
    assert.match(ro.stderr, /Read-only file system/);
    const c = inspect('wsrc');
    assert.deepEqual(c.HostConfig.Binds, ['wrun:/d']);
    assert.deepEqual(c.Config.Volumes, { '/wanon': {} });
    w(['rm', '-v', 'wsrc']);
    assert.deepEqual(volumeNames(), ['wrun']);
  });
});

describe('restart', () => {
  test('volumes and their data survive kill -9; boot settles half-done work', async () => {
    ok(['volume', 'create', 'durable']);
    ok(['run', '--rm', '-v', 'durable:/d', 'busybox', 'sh', '-c', 'echo persisted > /d/f']);
    ok(['volume', 'create', 'lostdir']);
    await d.kill9();
    // As if the daemon died between volume.created and making its directory, and a stray
    // directory no journal entry knows about.
    rmSync(path.join(d.dataRoot, 'volumes', 'lostdir'), { recursive: true, force: true });
    mkdirSync(path.join(d.dataRoot, 'volumes', 'stray', '_data'), { recursive: true });
    await d.start();
    assert.deepEqual(volumeNames().sort(), ['durable', 'lostdir']);
    assert.ok(existsSync(path.join(d.dataRoot, 'volumes', 'lostdir', '_data')), 'directory made at boot');
    assert.ok(!existsSync(path.join(d.dataRoot, 'volumes', 'stray')), 'unknown directory removed at boot');
    assert.equal(ok(['run', '--rm', '-v', 'durable:/d', 'busybox', 'cat', '/d/f']), 'persisted\n');
    ok(['volume', 'rm', 'durable', 'lostdir']);
  });
});

describe('docker cp and mounts', () => {
  test('cp reaches into volumes, binds and tmpfs mounts as the container sees them, running or stopped', () => {
    const host = path.join(d.dir, 'cp-bind');
    mkdirSync(host, { recursive: true });
    const src = path.join(d.dir, 'cp-file.txt');
    writeFileSync(src, 'into the volume\n');
    d.dockerOk(['run', '-d', '--name', 'cpv', '--read-only', '-v', 'cpvol:/data', '-v', `${host}:/bind`, '--tmpfs', '/scratch', 'busybox', 'sleep', '1000']);
    d.dockerOk(['cp', src, 'cpv:/data/f.txt']);
    d.dockerOk(['cp', src, 'cpv:/bind/f.txt']);
    d.dockerOk(['cp', src, 'cpv:/scratch/f.txt']);
    assert.equal(d.dockerOk(['exec', 'cpv', 'cat', '/data/f.txt', '/bind/f.txt', '/scratch/f.txt']), 'into the volume\n'.repeat(3));
    assert.equal(readFileSync(path.join(host, 'f.txt'), 'utf8'), 'into the volume\n');
    const out = path.join(d.dir, 'cp-out.txt');
    d.dockerOk(['cp', 'cpv:/scratch/f.txt', out]);
    assert.equal(readFileSync(out, 'utf8'), 'into the volume\n');
    // Stopped: the volume's and the bind's contents are still reachable.
    d.dockerOk(['stop', '-t', '0', 'cpv']);
    const out2 = path.join(d.dir, 'cp-out2.txt');
    d.dockerOk(['cp', 'cpv:/data/f.txt', out2]);
    assert.equal(readFileSync(out2, 'utf8'), 'into the volume\n');
    d.dockerOk(['cp', src, 'cpv:/data/g.txt']);
    d.dockerOk(['rm', 'cpv']);
    assert.equal(d.dockerOk(['run', '--rm', '-v', 'cpvol:/data', 'busybox', 'cat', '/data/g.txt']), 'into the volume\n');
  });
});
