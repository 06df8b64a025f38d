import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventually, TestDaemon } from './helpers/wharfd';

// Operations whose effect fails record nothing: the client gets Docker's status and message,
// nothing new shows in `docker events` or the listings, and the daemon boots again on the same
// data root with the same state. And every call answers (or fails) in bounded time: each
// request below carries a client-side timeout, so a hang fails the test instead of blocking it.

interface Answer {
  status: number;
  body: string;
}

/** A raw API request that fails after timeoutMs instead of hanging. */
function call(sock: string, method: string, p: string, body?: string, headers: Record<string, string> = {}, timeoutMs = 15_000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: sock, path: p, method, headers: body !== undefined ? { 'Content-Type': 'application/json', ...headers } : headers }, (res) => {
      let data = '';
      res.on('data', (d: Buffer) => (data += d.toString('latin1')));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: data });
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`${method} ${p}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Raw bytes on the socket (for half-sent bodies and upgrades): everything the daemon answers until it closes, or what came within timeoutMs. */
function rawExchange(sock: string, text: string, timeoutMs: number): Promise<{ data: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(sock);
    let data = '';
    let closed = false;
    s.on('data', (d: Buffer) => (data += d.toString('latin1')));
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ data, closed });
    }, timeoutMs);
    s.on('close', () => {
      closed = true;
      clearTimeout(timer);
      resolve({ data, closed });
    });
    s.on('error', () => undefined);
    s.write(text);
  });
}

const messageOf = (a: Answer) => (JSON.parse(a.body) as { message: string }).message;

/** What a user can list: every event so far, containers, images, volumes, networks. */
function state(d: TestDaemon): { events: string[]; ps: string; images: string; volumes: string; networks: string } {
  const until = String(Math.ceil(Date.now() / 1000) + 1);
  const events = d.dockerOk(['events', '--since', '0', '--until', until, '--format', '{{.Type}} {{.Action}} {{.Actor.ID}}']).split('\n').filter(Boolean);
  return {
    events,
    ps: d.dockerOk(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}} {{.State}}']),
    images: d.dockerOk(['images', '-a', '--no-trunc', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}']),
    volumes: d.dockerOk(['volume', 'ls', '-q']),
    networks: d.dockerOk(['network', 'ls', '--no-trunc', '--format', '{{.ID}} {{.Name}}']),
  };
}

/** The listings but events (a boot may add its own, e.g. a container's death while it was away). */
const listings = (s: ReturnType<typeof state>) => ({ ps: s.ps, images: s.images, volumes: s.volumes, networks: s.networks });

describe('failed operations record nothing, and the daemon boots again', () => {
  const d = new TestDaemon();
  const veth = 'wengfv0';
  const bridge = 'wengf0';
  let running = '';
  let stopped = '';
  let baseline: ReturnType<typeof state>;

  before(async () => {
    await d.start();
    d.importBusybox();
    running = d.dockerOk(['run', '-d', '--name', 'up', 'busybox', 'sleep', '600']).trim();
    stopped = d.dockerOk(['create', '--name', 'down', 'busybox', 'true']).trim();
    d.dockerOk(['network', 'create', '--subnet', '10.251.7.0/24', '-o', `com.docker.network.bridge.name=${bridge}`, 'engf-net']);
    baseline = state(d);
  });
  after(async () => {
    await d.cleanup();
    spawnSync('ip', ['link', 'del', veth], { stdio: 'ignore' });
    spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
  });

  /** Nothing new: same events, same listings as before the failing call. */
  function assertUnchanged(what: string): void {
    const now = state(d);
    assert.deepEqual(now.events.slice(baseline.events.length), [], `${what}: new events`);
    assert.deepEqual(listings(now), listings(baseline), `${what}: listings changed`);
  }

  test('volume create with a name too long for the file system: refused at the edge (400), no volume', async () => {
    const name = 'a'.repeat(300);
    const r = await call(d.sock, 'POST', '/volumes/create', JSON.stringify({ Name: name }));
    assert.equal(r.status, 400);
    assert.equal(messageOf(r), `create ${name}: error while creating volume root path: file name too long`);
    const cli = d.docker(['volume', 'create', name]);
    assert.notEqual(cli.code, 0);
    assert.match(cli.stderr, /^Error response from daemon: create a+: error while creating volume root path: file name too long/);
    assertUnchanged('volume create');
  });

  test('volume create whose directory cannot be made: 500, the error named, no volume', async () => {
    const root = path.join(d.dataRoot, 'volumes');
    // An immutable volumes directory: even root cannot make a directory in it.
    if (spawnSync('chattr', ['+i', root]).status !== 0) return;
    try {
      const r = await call(d.sock, 'POST', '/volumes/create', JSON.stringify({ Name: 'cannot-make' }));
      assert.equal(r.status, 500);
      assert.match(messageOf(r), /^create cannot-make: error while creating volume root path '.*cannot-make': .*operation not permitted/i);
    } finally {
      spawnSync('chattr', ['-i', root]);
    }
    assertUnchanged('volume create (mkdir refused)');
  });

  test('network create on an interface that is not a bridge: 500, the interface untouched, no network', async () => {
    const made = spawnSync('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', `${veth}p`], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    try {
      const r = await call(d.sock, 'POST', '/networks/create', JSON.stringify({ Name: 'engf-bad', Driver: 'bridge', IPAM: { Config: [{ Subnet: '10.251.8.0/24' }] }, Options: { 'com.docker.network.bridge.name': veth } }));
      assert.equal(r.status, 500);
      assert.equal(messageOf(r), `existing interface ${veth} is not a bridge`);
      const addr = spawnSync('ip', ['-o', '-4', 'addr', 'show', veth], { encoding: 'utf8' });
      assert.equal(addr.status, 0, 'the veth is still there');
      assert.equal(addr.stdout.trim(), '', 'no address was put on it');
      assertUnchanged('network create (not a bridge)');
    } finally {
      spawnSync('ip', ['link', 'del', veth], { stdio: 'ignore' });
    }
  });

  test('network create with an overlapping subnet: 403, no network', async () => {
    const r = await call(d.sock, 'POST', '/networks/create', JSON.stringify({ Name: 'engf-overlap', IPAM: { Config: [{ Subnet: '10.251.7.0/25' }] }, Options: { 'com.docker.network.bridge.name': 'wengf1' } }));
    assert.equal(r.status, 403);
    assert.match(messageOf(r), /Pool overlaps with other one on this address space$/);
    assertUnchanged('network create (overlap)');
  });

  test('tag with an invalid reference or tag: 400, no tag', async () => {
    const bad = await call(d.sock, 'POST', '/images/busybox/tag?repo=BAD');
    assert.equal(bad.status, 400);
    assert.match(messageOf(bad), /^invalid reference format: repository name .*must be lowercase$/);
    const badTag = await call(d.sock, 'POST', '/images/busybox/tag?repo=foo&tag=bad:tag');
    assert.equal(badTag.status, 400);
    assert.equal(messageOf(badTag), 'invalid tag format');
    assertUnchanged('tag');
  });

  test('rename to a name in use: 409, Docker\'s message, no rename', async () => {
    const r = await call(d.sock, 'POST', '/containers/down/rename?name=up');
    assert.equal(r.status, 409);
    assert.equal(
      messageOf(r),
      `Error when allocating new name: Conflict. The container name "/up" is already in use by container "${running}". You have to remove (or rename) that container to be able to reuse that name.`,
    );
    assertUnchanged('rename');
  });

  test('commit of a container whose changes cannot be read: an error, no image', async () => {
    // Its upper dir (never made: the container never ran) is a file, not a directory.
    const upper = path.join(d.dataRoot, 'overlay', stopped, 'upper');
    rmSync(upper, { recursive: true, force: true });
    mkdirSync(path.dirname(upper), { recursive: true });
    writeFileSync(upper, 'not a directory');
    try {
      const r = await call(d.sock, 'POST', `/commit?container=down&repo=engf-commit&tag=1`, '{}');
      assert.equal(r.status, 500, r.body);
      assertUnchanged('commit');
    } finally {
      rmSync(upper, { force: true });
    }
  });

  test('import of a garbage tar: an error, no image', () => {
    const r = d.docker(['import', '-', 'engf-garbage:1'], { input: 'this is not a tar archive\n'.repeat(100) });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /tar/);
    assertUnchanged('import');
  });

  test('load of a garbage archive: an error, no image', () => {
    const r = d.docker(['load'], { input: 'this is not a tar archive\n'.repeat(100) });
    assert.notEqual(r.code, 0);
    assertUnchanged('load');
  });

  test('exec create in a stopped container: 409', async () => {
    const r = await call(d.sock, 'POST', '/containers/down/exec', JSON.stringify({ Cmd: ['true'] }));
    assert.equal(r.status, 409);
    assert.equal(messageOf(r), `container ${stopped} is not running`);
    assertUnchanged('exec create');
  });

  test('pause of a stopped container: 409', async () => {
    const r = await call(d.sock, 'POST', '/containers/down/pause');
    assert.equal(r.status, 409);
    assert.equal(messageOf(r), `Container ${stopped} is not running`);
    assertUnchanged('pause');
  });

  test('the daemon boots again on the same data root, with the same state', async () => {
    await d.stop();
    await d.start();
    assert.deepEqual(listings(state(d)), listings(baseline));
    assert.doesNotMatch(d.log, /failed to start daemon/);
  });
});

describe('boot settles what it can and carries on', () => {
  test('a volume whose directory cannot be made is a warning, not a failed boot', async (t) => {
    const d = new TestDaemon();
    t.after(() => d.cleanup());
    await d.start();
    d.dockerOk(['volume', 'create', 'keep']);
    d.dockerOk(['volume', 'create', 'broken']);
    await d.stop();
    // The volume's place is taken by a file: its _data cannot be made again.
    const dir = path.join(d.dataRoot, 'volumes', 'broken');
    rmSync(dir, { recursive: true, force: true });
    writeFileSync(dir, 'in the way');
    await d.start();
    assert.deepEqual(d.dockerOk(['volume', 'ls', '-q']).split('\n').filter(Boolean).sort(), ['broken', 'keep']);
    assert.match(d.log, /cannot settle a volume at boot/);
    // Made right, the next boot settles it.
    await d.stop();
    rmSync(dir, { force: true });
    await d.start();
    assert.ok(d.dockerOk(['volume', 'inspect', '--format', '{{.Mountpoint}}', 'broken']).includes('broken/_data'));
  });
});

describe('no hang: exec start and attach answer', () => {
  const d = new TestDaemon();
  let up = '';
  before(async () => {
    await d.start();
    d.importBusybox();
    up = d.dockerOk(['run', '-d', '--name', 'up', 'busybox', 'sleep', '600']).trim();
  });
  after(() => d.cleanup());

  const createExec = async (ref: string) => {
    const r = await call(d.sock, 'POST', `/containers/${ref}/exec`, JSON.stringify({ Cmd: ['echo', 'hi'], AttachStdout: true, AttachStderr: true }));
    assert.equal(r.status, 201, r.body);
    return (JSON.parse(r.body) as { Id: string }).Id;
  };

  test('exec start without Upgrade on a running container streams its output on the plain response', async () => {
    const id = await createExec('up');
    const r = await call(d.sock, 'POST', `/exec/${id}/start`, JSON.stringify({ Detach: false }));
    assert.equal(r.status, 200);
    // One stdout frame: stream 1, three zero bytes, the length, then the bytes.
    assert.equal(r.body, '\x01\x00\x00\x00\x00\x00\x00\x03hi\n');
  });

  test('exec start without Upgrade on a paused container: 409', async () => {
    const id = await createExec('up');
    d.dockerOk(['pause', 'up']);
    try {
      const r = await call(d.sock, 'POST', `/exec/${id}/start`, JSON.stringify({ Detach: false }));
      assert.equal(r.status, 409);
      assert.equal(messageOf(r), `Container ${up} is paused, unpause the container before exec`);
      const upgraded = await rawExchange(d.sock, `POST /exec/${id}/start HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{"Detach":false}`, 10_000);
      assert.match(upgraded.data, /^HTTP\/1.1 409 /);
      const attach = await call(d.sock, 'POST', '/containers/up/attach?stream=1&stdout=1', undefined, { Connection: 'Upgrade', Upgrade: 'tcp' });
      assert.equal(attach.status, 409);
      assert.match(attach.body, /container up is paused, unpause the container before attach/);
    } finally {
      d.dockerOk(['unpause', 'up']);
    }
  });

  test('exec start without Upgrade on a stopped container: 409', async () => {
    const id = await createExec('up');
    d.dockerOk(['kill', 'up']);
    await eventually(() => d.dockerOk(['inspect', '--format', '{{.State.Running}}', 'up']).trim() === 'false', 10_000, 'up exited');
    const r = await call(d.sock, 'POST', `/exec/${id}/start`, JSON.stringify({ Detach: false }));
    assert.equal(r.status, 409);
    assert.equal(messageOf(r), `container ${up} is not running`);
    const detached = await call(d.sock, 'POST', `/exec/${id}/start`, JSON.stringify({ Detach: true }));
    assert.equal(detached.status, 409);
    d.dockerOk(['start', 'up']);
  });

  test('an upgraded exec start whose body never completes is answered', async () => {
    const id = await createExec('up');
    const r = await rawExchange(d.sock, `POST /exec/${id}/start HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"Detach":`, 20_000);
    assert.match(r.data, /^HTTP\/1.1 400 /);
    assert.match(r.data, /request body not received/);
  });

  test('streams of a container removed meanwhile end', async () => {
    d.dockerOk(['run', '-d', '--name', 'gone', 'busybox', 'sleep', '600']);
    const logs = call(d.sock, 'GET', '/containers/gone/logs?stdout=1&follow=1');
    const wait = call(d.sock, 'POST', '/containers/gone/wait?condition=removed');
    const stats = call(d.sock, 'GET', '/containers/gone/stats?stream=1');
    await new Promise((r) => setTimeout(r, 500));
    d.dockerOk(['rm', '-f', 'gone']);
    assert.equal((await logs).status, 200);
    assert.equal((await wait).status, 200);
    assert.equal((await stats).status, 200);
  });

  test('unknown ids answer 404 on every streaming endpoint', async () => {
    for (const [method, p] of [
      ['GET', '/containers/nope/logs?stdout=1&follow=1'],
      ['POST', '/containers/nope/wait'],
      ['GET', '/containers/nope/stats'],
      ['GET', '/containers/nope/export'],
      ['GET', '/containers/nope/archive?path=/'],
      ['GET', '/images/nope/get'],
      ['POST', '/images/nope/push'],
      ['POST', '/exec/nope/start'],
      ['POST', '/containers/nope/attach?stream=1&stdout=1'],
    ]) {
      const r = await call(d.sock, method, p, method === 'POST' ? '{}' : undefined);
      assert.equal(r.status, 404, `${method} ${p}: ${r.body}`);
    }
  });
});
