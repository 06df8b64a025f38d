import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { api, daemonForFile, ROOT, runAsync } from './helpers/wharfd';

// A client of the seeds' Remote API (v1.9, Docker 0.7) against a real wharfd: the requests and
// answers of the v1.9 document, and dockerd's answers to versions it does not serve.
const d = daemonForFile();

/** One request on the daemon's socket, the answer's body kept as bytes (tar archives). */
function request(method: string, p: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: d.sock, method, path: p, headers: { ...(body !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const json = async (method: string, p: string, body?: unknown) => {
  const r = await api(d.sock, method, p, body === undefined ? undefined : JSON.stringify(body), body === undefined ? {} : { 'Content-Type': 'application/json' });
  return { status: r.status, body: r.body, json: r.body ? (JSON.parse(r.body) as never) : undefined, headers: r.headers };
};

/** The entries of an uncompressed tar: name → content. */
function tarEntries(buf: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  for (let off = 0; off + 512 <= buf.length; ) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const name = h.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const prefix = h.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(h.subarray(124, 136).toString('utf8').replace(/\0.*$/s, '').trim() || '0', 8);
    out.set(prefix ? `${prefix}/${name}` : name, buf.subarray(off + 512, off + 512 + size).toString('utf8'));
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

/** A container as the v1.9 document creates it (its example body, busybox, a command of ours). */
async function createV19(cmd: string[], extra: Record<string, unknown> = {}): Promise<string> {
  const r = await json('POST', '/v1.9/containers/create', {
    Hostname: '', User: '', Memory: 0, MemorySwap: 0, AttachStdin: false, AttachStdout: true, AttachStderr: true,
    PortSpecs: null, Tty: false, OpenStdin: false, StdinOnce: false, Env: null, Cmd: cmd, Dns: null, Image: 'busybox',
    Volumes: { '/tmp': {} }, VolumesFrom: '', WorkingDir: '', ExposedPorts: { '22/tcp': {} }, ...extra,
  });
  assert.equal(r.status, 201, r.body);
  const created = r.json as unknown as { Id: string; Warnings: unknown[] };
  assert.match(created.Id, /^[0-9a-f]{64}$/);
  assert.deepEqual(created.Warnings, []);
  return created.Id;
}

describe('versions', () => {
  test('1.9 up to the advertised version are served; /version names 1.9 as the minimum', async () => {
    const v = await json('GET', '/v1.9/version');
    assert.equal(v.status, 200);
    const body = v.json as unknown as Record<string, string>;
    for (const k of ['Version', 'GitCommit', 'GoVersion']) assert.equal(typeof body[k], 'string', k); // the v1.9 document's fields
    assert.equal(body.MinAPIVersion, '1.9');
    for (const p of ['/v1.10/version', '/v1.23/version', '/v1.24/version', '/v1.50/version']) assert.equal((await json('GET', p)).status, 200, p);
  });

  test("too old and too new: dockerd's words, plain text before 1.24 (as dockerd's http.Error), JSON after", async () => {
    const old = await request('GET', '/v1.8/version');
    assert.equal(old.status, 400);
    assert.match(String(old.headers['content-type']), /^text\/plain/);
    assert.equal(old.body.toString(), 'client version 1.8 is too old. Minimum supported API version is 1.9, please upgrade your client to a newer version\n');
    const neu = await json('GET', '/v1.99/version');
    assert.equal(neu.status, 400);
    assert.equal((neu.json as unknown as { message: string }).message, 'client version 1.99 is too new. Maximum supported API version is 1.50');
    // An error of an old version is text too; of a new one, JSON.
    const nf = await request('GET', '/v1.9/containers/nope/json');
    assert.equal(nf.status, 404);
    assert.equal(nf.body.toString(), 'No such container: nope\n');
    assert.equal((await json('GET', '/v1.24/containers/nope/json')).body, '{"message":"No such container: nope"}');
  });
});

describe('images at v1.9', () => {
  test('GET /images/json: one entry per image, RepoTags, ids of 64 hex digits (the v1.9 document)', async () => {
    const r = await json('GET', '/v1.9/images/json?all=0');
    assert.equal(r.status, 200);
    const list = r.json as unknown as Record<string, unknown>[];
    const bb = list.find((i) => (i.RepoTags as string[]).includes('busybox:latest'));
    assert.ok(bb, r.body);
    assert.deepEqual(Object.keys(bb).sort(), ['Created', 'Id', 'RepoTags', 'Size', 'VirtualSize']); // an imported image has no ParentId
    assert.match(bb.Id as string, /^[0-9a-f]{64}$/);
    assert.equal(typeof bb.Created, 'number');
    assert.equal(bb.VirtualSize, bb.Size);
    // Today's shape is unchanged.
    const today = (await json('GET', '/images/json')).json as unknown as Record<string, unknown>[];
    assert.ok(today.some((i) => i.Id === `sha256:${bb.Id as string}` && 'Containers' in i));
  });

  test('GET /images/(name)/json: the lower-case image JSON', async () => {
    const r = await json('GET', '/v1.9/images/busybox/json');
    assert.equal(r.status, 200);
    const img = r.json as unknown as Record<string, unknown>;
    assert.match(img.id as string, /^[0-9a-f]{64}$/);
    assert.equal(typeof img.created, 'string');
    assert.equal(typeof img.Size, 'number');
    assert.ok(img.config && typeof img.config === 'object');
    assert.equal(img.Id, undefined);
  });

  test('GET /images/viz is gone since 1.7 (the client draws it); GET /auth since 1.2', async () => {
    const viz = await request('GET', '/v1.9/images/viz');
    assert.equal(viz.status, 404);
    assert.equal(viz.body.toString(), 'This is now implemented in the client.\n');
    const auth = await request('GET', '/v1.9/auth');
    assert.equal(auth.status, 404);
    assert.equal(auth.body.toString(), 'page not found\n');
  });
});

describe('containers at v1.9', () => {
  let hostDir = '';
  before(() => {
    hostDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-v19-'));
  });
  after(() => rmSync(hostDir, { recursive: true, force: true }));

  test('create with the old config, start with a HostConfig body (its Binds applied), wait, inspect, copy', async () => {
    const id = await createV19(['sh', '-c', 'echo hello > /test.txt; echo bound > /hostdir/out']);
    // The v1.9 document's start body: Binds, LxcConf (a map then), PortBindings, PublishAllPorts, Privileged.
    // LxcConf cannot be applied by runc: refused when it says anything, never kept unapplied.
    const lxc = await request('POST', `/v1.9/containers/${id}/start`, JSON.stringify({ Binds: [`${hostDir}:/hostdir`], LxcConf: { 'lxc.utsname': 'docker' }, PortBindings: {}, PublishAllPorts: false, Privileged: false }));
    assert.equal(lxc.status, 400, lxc.body.toString());
    assert.match(lxc.body.toString(), /LxcConf/);
    const start = await request('POST', `/v1.9/containers/${id}/start`, JSON.stringify({ Binds: [`${hostDir}:/hostdir`], LxcConf: {}, PortBindings: {}, PublishAllPorts: false, Privileged: false, Bogus: 1 }));
    assert.equal(start.status, 204, start.body.toString());
    const wait = await json('POST', `/v1.9/containers/${id}/wait`);
    assert.deepEqual(wait.json, { StatusCode: 0 });
    assert.equal(readFileSync(path.join(hostDir, 'out'), 'utf8'), 'bound\n');

    const ins = (await json('GET', `/v1.9/containers/${id}/json`)).json as unknown as Record<string, Record<string, unknown>>;
    assert.equal(ins.State.Running, false);
    assert.equal(ins.State.ExitCode, 0);
    assert.equal(ins.State.Ghost, false);
    assert.deepEqual(ins.HostConfig.Binds, [`${hostDir}:/hostdir`]);
    assert.ok(!('Bogus' in ins.HostConfig) && !('LxcConf' in ins.HostConfig), 'a field HostConfig does not have is not recorded');
    assert.equal(ins.Volumes['/hostdir'], hostDir);
    assert.equal(ins.VolumesRW['/hostdir'], true);
    assert.equal(ins.Config.Memory, 0);
    assert.equal(ins.Config.VolumesFrom, '');
    assert.ok('IpAddress' in ins.NetworkSettings && 'PortMapping' in ins.NetworkSettings);

    // POST /containers/(id)/copy {"Resource": ...}: a tar named after the path's last element.
    const copy = await request('POST', `/v1.9/containers/${id}/copy`, JSON.stringify({ Resource: 'test.txt' }));
    assert.equal(copy.status, 200, copy.body.toString());
    assert.equal(copy.headers['content-type'], 'application/x-tar');
    assert.equal(tarEntries(copy.body).get('test.txt'), 'hello\n');
    const missing = await request('POST', `/v1.9/containers/${id}/copy`, JSON.stringify({ Resource: '/nope' }));
    assert.equal(missing.status, 404);
    assert.equal(missing.body.toString(), `Could not find the file /nope in container ${id}\n`);
    // dockerd answered 1.24 and later with a bare 404.
    const gone = await request('POST', `/v1.24/containers/${id}/copy`, JSON.stringify({ Resource: 'test.txt' }));
    assert.equal(gone.status, 404);
    assert.equal(gone.body.length, 0);

    // A body of 7 bytes or less is no body, whatever its type (dockerd's test).
    const small = await request('POST', `/v1.50/containers/${id}/start`, '{}', { 'Content-Type': 'text/plain' });
    assert.equal(small.status, 204, small.body.toString());
    await json('POST', `/v1.50/containers/${id}/wait`);
    // Since 1.24 a start body is refused, in dockerd's words.
    const refused = await json('POST', `/v1.24/containers/${id}/start`, { Binds: ['/tmp:/tmp'] });
    assert.equal(refused.status, 400);
    assert.equal((refused.json as unknown as { message: string }).message, 'starting container with non-empty request body was deprecated since API v1.22 and removed in v1.24');

    // GET /containers/json: the document's fields.
    const list = (await json('GET', '/v1.9/containers/json?all=1&size=1')).json as unknown as Record<string, unknown>[];
    const mine = list.find((c) => c.Id === id);
    assert.ok(mine);
    for (const k of ['Id', 'Image', 'Command', 'Created', 'Status', 'Ports', 'SizeRw', 'SizeRootFs']) assert.ok(k in mine, k);

    // A POST without a body, as Docker 0.7's client sent it ("plain/text"): commit.
    const commit = await request('POST', `/v1.9/commit?container=${id}&repo=committed`, '', { 'Content-Type': 'plain/text' });
    assert.equal(commit.status, 201, commit.body.toString());
    assert.match((JSON.parse(commit.body.toString()) as { Id: string }).Id, /^sha256:[0-9a-f]{64}$|^[0-9a-f]{64}$/);
    assert.equal((await json('DELETE', `/v1.9/containers/${id}?v=1`)).status, 204);
  });

  test('create lifts Memory, Dns and VolumesFrom of the old config into the host config', async () => {
    const src = await createV19(['true']);
    const id = await createV19(['true'], { Memory: 64 * 1024 * 1024, Dns: ['10.0.0.53'], VolumesFrom: src });
    const ins = (await json('GET', `/v1.24/containers/${id}/json`)).json as unknown as Record<string, Record<string, unknown>>;
    assert.equal(ins.HostConfig.Memory, 64 * 1024 * 1024);
    assert.deepEqual(ins.HostConfig.Dns, ['10.0.0.53']);
    assert.deepEqual(ins.HostConfig.VolumesFrom, [src]);
    for (const c of [id, src]) assert.equal((await json('DELETE', `/v1.9/containers/${c}?v=1`)).status, 204);
  });

  test('GET /events: {status, id, from, time} lines', async () => {
    const id = await createV19(['true']);
    assert.equal((await json('DELETE', `/v1.9/containers/${id}`)).status, 204);
    const until = Math.ceil(Date.now() / 1000) + 1;
    const r = await request('GET', `/v1.9/events?since=0&until=${until}`);
    assert.equal(r.status, 200);
    const lines = r.body.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const mine = lines.filter((e) => e.id === id);
    assert.deepEqual(mine.map((e) => e.status), ['create', 'destroy']);
    for (const e of lines) assert.deepEqual(Object.keys(e).filter((k) => !['status', 'id', 'from', 'time'].includes(k)), [], JSON.stringify(e));
    assert.equal(mine[0].from, 'busybox');
    assert.equal(typeof mine[0].time, 'number');
  });
});

describe('insert (API < 1.12) and wharf insert', () => {
  let server: http.Server;
  let base = '';
  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/missing') {
        res.writeHead(404).end('no');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('inserted content\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  test('POST /images/(name)/insert: a JSON progress stream ending with the new image; the file is in it', async () => {
    const before = ((await json('GET', '/containers/json?all=1')).json as unknown as unknown[]).length;
    const r = await request('POST', `/v1.9/images/busybox/insert?path=/usr/local/inserted.txt&url=${encodeURIComponent(`${base}/file`)}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    const lines = r.body.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(lines.some((l) => l.status === 'Downloading' && (l.progressDetail as { current: number }).current === 17), r.body.toString());
    const newId = lines[lines.length - 1].status as string;
    assert.match(newId, /^[0-9a-f]{64}$/);
    // Its container is gone; the image has the file, and its parent's config.
    assert.equal(((await json('GET', '/containers/json?all=1')).json as unknown as unknown[]).length, before);
    const img = (await json('GET', `/v1.9/images/${newId}/json`)).json as unknown as Record<string, unknown>;
    assert.ok(img.parent, JSON.stringify(img));
    const id = await createV19(['cat', '/usr/local/inserted.txt'], { Image: newId });
    const copy = await request('POST', `/v1.9/containers/${id}/copy`, JSON.stringify({ Resource: '/usr/local/inserted.txt' }));
    assert.equal(tarEntries(copy.body).get('inserted.txt'), 'inserted content\n');
    assert.equal((await json('DELETE', `/v1.9/containers/${id}`)).status, 204);

    // A path that exists, or a download that fails, ends the stream with an error.
    const exists = await request('POST', `/v1.9/images/busybox/insert?path=/etc&url=${encodeURIComponent(`${base}/file`)}`);
    assert.match(exists.body.toString(), /"error":"\/etc exists"/);
    const failed = await request('POST', `/v1.9/images/busybox/insert?path=/x&url=${encodeURIComponent(`${base}/missing`)}`);
    assert.notEqual(failed.status, 200);
    // Removed in 1.12.
    assert.equal((await request('POST', `/v1.12/images/busybox/insert?path=/x&url=${encodeURIComponent(`${base}/file`)}`)).status, 404);
  });

  test('wharf insert IMAGE URL PATH prints the new image id', async () => {
    // Run aside: this process serves the download meanwhile.
    const r = await runAsync(path.join(ROOT, 'bin', 'wharf'), ['insert', 'busybox', `${base}/file`, '/inserted-by-cli'], d.env).done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^[0-9a-f]{12}\n$/);
    const img = (await json('GET', `/v1.9/images/${r.stdout.trim()}/json`)).json as unknown as Record<string, unknown>;
    assert.match(img.id as string, new RegExp(`^${r.stdout.trim()}`));
    const bad = d.wharf(['insert', 'busybox', `${base}/file`]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /requires exactly 3 arguments/);
  });
});
