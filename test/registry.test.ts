import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { FaultProxy, TestRegistry, TokenServer } from './helpers/registry';
import { api, BUSYBOX_TAR, DOCKER, eventually, runAsync, TestDaemon, type Result } from './helpers/wharfd';

// docker push / pull / login / search against the real registry (apt docker-registry,
// distribution 2.8) on 127.0.0.1, reached through a logging proxy that can inject faults.
const d = new TestDaemon();
let registry: TestRegistry;
let proxy: FaultProxy;
let reg = '';

before(async () => {
  registry = await TestRegistry.start();
  proxy = await new FaultProxy(registry.host).start();
  reg = proxy.host;
  await d.start(['--registry-timeout', '3']);
  d.importBusybox();
});
after(async () => {
  await d.cleanup();
  await proxy?.close();
  await registry?.stop();
});

const ok = (args: string[]) => d.dockerOk(args);
/** The docker CLI without blocking this process (the proxy runs in it). */
async function docker(args: string[], timeoutMs = 60_000): Promise<Result> {
  const { proc, done } = runAsync(DOCKER, args, d.env);
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  const r = await done;
  clearTimeout(timer);
  return r;
}
async function dockerOk(args: string[]): Promise<string> {
  const r = await docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}
const until = () => String(Math.ceil(Date.now() / 1000) + 1);
/** A committed image of busybox plus a layer of `mb` MiB of random bytes (incompressible). */
function commitImage(ref: string, mb: number, marker: string): string {
  ok(['run', '--name', 'maker', 'busybox', 'sh', '-c', `echo ${marker} > /marker && dd if=/dev/urandom of=/blob bs=1M count=${mb} 2>/dev/null`]);
  const id = ok(['commit', 'maker', ref]).trim();
  ok(['rm', 'maker']);
  return id;
}
const manifestOf = async (repo: string, tag: string) => {
  const res = await fetch(`http://${registry.host}/v2/${repo}/manifests/${tag}`, { headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
  return { digest: res.headers.get('docker-content-digest') ?? '', body: (await res.json()) as { layers: { digest: string; size: number }[]; config: { digest: string } } };
};

test('push an image built by commit, remove it, pull it back and run it; a second pull downloads nothing', async () => {
  const id = commitImage(`${reg}/team/app:v1`, 12, 'pushed');
  const push = await dockerOk(['push', `${reg}/team/app:v1`]);
  assert.match(push, new RegExp(`The push refers to repository \\[${reg}/team/app\\]`));
  assert.match(push, /: Pushed$/m);
  const digest = /^v1: digest: (sha256:[0-9a-f]{64}) size: \d+$/m.exec(push)?.[1];
  assert.ok(digest, push);
  // The registry has it, as another client (skopeo) reads it.
  const m = await manifestOf('team/app', 'v1');
  assert.equal(m.digest, digest);
  assert.equal(m.body.config.digest, id);
  // (Straight to the registry: a synchronous child would block the proxy in this process.)
  const sk = spawnSync('skopeo', ['inspect', '--tls-verify=false', `docker://${registry.host}/team/app:v1`], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(sk.status, 0, sk.stderr);
  assert.equal(JSON.parse(sk.stdout).Digest, digest);
  // Layers are gzipped on several threads (one gzip member per block): Go's gzip (skopeo) reads them back to the diff ids.
  const skDir = path.join(d.dir, 'skopeo-dir');
  const cp = spawnSync('skopeo', ['copy', '-q', '--src-tls-verify=false', '--dest-decompress', `docker://${registry.host}/team/app:v1`, `dir:${skDir}`], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(cp.status, 0, cp.stderr);
  const diffIds = JSON.parse(ok(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', id])) as string[];
  for (const diffId of diffIds) assert.ok(existsSync(path.join(skDir, diffId.slice(7))), `skopeo's decompressed layer ${diffId}`);
  // A layer of 12 MiB goes up in chunks (PATCH), the config in one PUT.
  const uploads = proxy.requests.filter((r) => r.path.startsWith('/v2/team/app/blobs/uploads/'));
  assert.ok(uploads.filter((r) => r.method === 'PATCH').length >= 2, JSON.stringify(uploads));
  assert.match(ok(['images', '--digests', '--format', '{{.Repository}}:{{.Tag}} {{.Digest}}', `${reg}/team/app`]), new RegExp(`${reg}/team/app:v1 ${digest}`));

  // Pushed again: the registry has every layer.
  const again = await dockerOk(['push', `${reg}/team/app:v1`]);
  assert.doesNotMatch(again, /Pushed/);
  assert.match(again, /Layer already exists/);
  // Another repository of the same registry: its layers are mounted, not sent.
  ok(['tag', `${reg}/team/app:v1`, `${reg}/other/app:v1`]);
  const mounted = await dockerOk(['push', `${reg}/other/app:v1`]);
  assert.match(mounted, /Mounted from team\/app/);
  assert.doesNotMatch(mounted, /Pushed/);

  const rmi = ok(['rmi', `${reg}/team/app:v1`, `${reg}/other/app:v1`]);
  assert.match(rmi, new RegExp(`Untagged: ${reg}/team/app@${digest}`));
  assert.match(rmi, new RegExp(`Deleted: ${id}`));
  const layerDigest = m.body.layers[1].digest;
  const before = proxy.blobGets(layerDigest);
  const pull = await dockerOk(['pull', `${reg}/team/app:v1`]);
  assert.match(pull, /v1: Pulling from team\/app/);
  assert.match(pull, /: Already exists$/m); // busybox's layer is here
  assert.match(pull, /: Pull complete$/m);
  assert.match(pull, new RegExp(`Digest: ${digest}`));
  assert.match(pull, new RegExp(`Status: Downloaded newer image for ${reg}/team/app:v1`));
  assert.equal(proxy.blobGets(layerDigest), before + 1);
  assert.equal(ok(['image', 'inspect', '-f', '{{.Id}} {{index .RepoDigests 0}}', `${reg}/team/app:v1`]).trim(), `${id} ${reg}/team/app@${digest}`);
  assert.equal(ok(['run', '--rm', `${reg}/team/app:v1`, 'cat', '/marker']), 'pushed\n');
  // By digest too.
  assert.equal(ok(['run', '--rm', `${reg}/team/app@${digest}`, 'cat', '/marker']), 'pushed\n');

  const second = await dockerOk(['pull', `${reg}/team/app:v1`]);
  assert.match(second, new RegExp(`Status: Image is up to date for ${reg}/team/app:v1`));
  // As Docker: the image is here, so no layer lines at all.
  assert.equal(second.split('\n').filter((l) => /: (Already exists|Pulling fs layer)$/.test(l)).length, 0, second);
  assert.doesNotMatch(second, /Pull complete/);
  assert.equal(proxy.blobGets(layerDigest), before + 1, 'the second pull fetched no layer');

  const events = ok(['events', '--since', '2m', '--until', until(), '--filter', 'type=image', '--format', '{{.Action}} {{.Actor.ID}}']);
  assert.match(events, new RegExp(`^push ${reg}/team/app:v1$`, 'm'));
  assert.match(events, new RegExp(`^pull ${reg}/team/app:v1$`, 'm'));
});

test('bad pulls: unknown tag, a 500, a hang, a manifest that does not match its digest, a truncated blob, a corrupted blob; nothing half-stored', async () => {
  const id = commitImage(`${reg}/bad/img:v1`, 2, 'bad');
  await dockerOk(['push', `${reg}/bad/img:v1`]);
  const m = await manifestOf('bad/img', 'v1');
  const layer = m.body.layers[1].digest;
  ok(['rmi', `${reg}/bad/img:v1`]);
  const layersDir = path.join(d.dataRoot, 'image', 'layers');
  const layersBefore = readdirSync(layersDir).sort();
  const nothingLeft = () => {
    assert.equal(ok(['images', '-q', `${reg}/bad/img`]), '');
    assert.deepEqual(readdirSync(layersDir).sort(), layersBefore);
    assert.deepEqual(readdirSync(path.join(d.dataRoot, 'image', 'tmp')), []);
  };

  const unknown = await docker(['pull', `${reg}/bad/img:nope`]);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stderr.trim(), `Error response from daemon: manifest for ${reg}/bad/img:nope not found: manifest unknown: manifest unknown`);

  try {
    proxy.fault = (method, p) => (p.includes('/manifests/') ? 'error500' : 'pass');
    const e500 = await docker(['pull', `${reg}/bad/img:v1`]);
    assert.equal(e500.code, 1);
    assert.match(e500.stderr, /received unexpected HTTP status: 500 Internal Server Error/);
    nothingLeft();

    proxy.fault = (method, p) => (p.includes(`/blobs/${layer}`) ? 'hang' : 'pass');
    const hang = await docker(['pull', `${reg}/bad/img:v1`]);
    assert.equal(hang.code, 1);
    assert.match(hang.stdout + hang.stderr, /timed out after 3s/);
    nothingLeft();

    // A manifest whose bytes do not match its digest: by tag (the digest the registry
    // announced) and by digest (the one asked for).
    proxy.fault = (method, p) => (method === 'GET' && p.includes('/manifests/') ? 'mangle' : 'pass');
    for (const ref of [`${reg}/bad/img:v1`, `${reg}/bad/img@${m.digest}`]) {
      const mangled = await docker(['pull', ref]);
      assert.equal(mangled.code, 1, ref);
      assert.match(mangled.stderr, new RegExp(`manifest verification failed for digest ${m.digest}`), ref);
      nothingLeft();
    }

    proxy.fault = (method, p) => (p.includes(`/blobs/${layer}`) ? 'truncate' : 'pass');
    const cut = await docker(['pull', `${reg}/bad/img:v1`]);
    assert.equal(cut.code, 1);
    assert.match(cut.stdout + cut.stderr, /unexpected EOF/);
    nothingLeft();
  } finally {
    proxy.fault = () => 'pass';
  }

  // The registry's copy of the layer damaged (same size): its digest does not match.
  const file = registry.blobFile(layer);
  const original = readFileSync(file);
  const damaged = Buffer.from(original);
  damaged[damaged.length >> 1] ^= 0xff;
  writeFileSync(file, damaged);
  try {
    const bad = await docker(['pull', `${reg}/bad/img:v1`]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout + bad.stderr, new RegExp(`filesystem layer verification failed for digest ${layer}`));
    nothingLeft();
  } finally {
    writeFileSync(file, original);
  }
  // With the registry whole again the pull works: nothing was lost from the store.
  await dockerOk(['pull', `${reg}/bad/img:v1`]);
  assert.equal(ok(['image', 'inspect', '-f', '{{.Id}}', `${reg}/bad/img:v1`]).trim(), id);
  assert.equal(ok(['run', '--rm', `${reg}/bad/img:v1`, 'cat', '/marker']), 'bad\n');
  assert.equal(statSync(path.join(d.dataRoot, 'image', 'tmp')).isDirectory(), true);
});

test('kill -9 in the middle of a pull: after a restart only the missing layers are fetched', async () => {
  // Three layers of its own above busybox's.
  ok(['run', '--name', 'l1', 'busybox', 'sh', '-c', 'dd if=/dev/urandom of=/one bs=1M count=3 2>/dev/null']);
  ok(['commit', 'l1', 'tmp/l1']);
  ok(['run', '--name', 'l2', 'tmp/l1', 'sh', '-c', 'dd if=/dev/urandom of=/two bs=1M count=3 2>/dev/null']);
  ok(['commit', 'l2', 'tmp/l2']);
  ok(['run', '--name', 'l3', 'tmp/l2', 'sh', '-c', 'echo three > /three']);
  const id = ok(['commit', 'l3', `${reg}/resume/img:v1`]).trim();
  ok(['rm', 'l1', 'l2', 'l3']);
  await dockerOk(['push', `${reg}/resume/img:v1`]);
  ok(['rmi', `${reg}/resume/img:v1`, 'tmp/l2', 'tmp/l1']);
  const layers = (await manifestOf('resume/img', 'v1')).body.layers.map((l) => l.digest);
  assert.equal(layers.length, 4);
  const [, first, second, third] = layers;

  // The third layer's download hangs; the others finish, then the daemon is killed.
  proxy.fault = (method, p) => (p.includes(`/blobs/${third}`) ? 'hang' : 'pass');
  const pulling = runAsync(DOCKER, ['pull', `${reg}/resume/img:v1`], d.env);
  let out = '';
  pulling.proc.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  try {
    await eventually(() => out.includes(`${first.slice(7, 19)}: Pull complete`) && out.includes(`${second.slice(7, 19)}: Pull complete`), 30_000, 'two layers pulled');
    await d.kill9();
  } finally {
    proxy.fault = () => 'pass';
    await pulling.done;
  }
  await d.start(['--registry-timeout', '3']);
  const gets = (dg: string) => proxy.blobGets(dg);
  const [g1, g2, g3] = [gets(first), gets(second), gets(third)];
  const pull = await dockerOk(['pull', `${reg}/resume/img:v1`]);
  assert.match(pull, new RegExp(`${first.slice(7, 19)}: Already exists`));
  assert.match(pull, new RegExp(`${second.slice(7, 19)}: Already exists`));
  assert.match(pull, new RegExp(`${third.slice(7, 19)}: Pull complete`));
  assert.deepEqual([gets(first) - g1, gets(second) - g2, gets(third) - g3], [0, 0, 1]);
  assert.equal(ok(['image', 'inspect', '-f', '{{.Id}}', `${reg}/resume/img:v1`]).trim(), id);
  assert.equal(ok(['run', '--rm', `${reg}/resume/img:v1`, 'cat', '/three']), 'three\n');
});

test('a manifest list: the host platform is picked, --platform picks another, an absent one is refused', async () => {
  const id = commitImage(`${reg}/multi/img:amd64`, 1, 'amd64');
  await dockerOk(['push', `${reg}/multi/img:amd64`]);
  const m = await manifestOf('multi/img', 'amd64');
  // An arm64 variant: the same layers under a config that says arm64 (put with the registry API).
  const cfg = JSON.parse(await (await fetch(`http://${registry.host}/v2/multi/img/blobs/${m.body.config.digest}`)).text()) as Record<string, unknown>;
  const armCfg = Buffer.from(JSON.stringify({ ...cfg, architecture: 'arm64' }));
  const armCfgDigest = `sha256:${(await import('node:crypto')).createHash('sha256').update(armCfg).digest('hex')}`;
  const up = await fetch(`http://${registry.host}/v2/multi/img/blobs/uploads/`, { method: 'POST' });
  const loc = new URL(up.headers.get('location')!, `http://${registry.host}`);
  loc.searchParams.set('digest', armCfgDigest);
  assert.equal((await fetch(loc, { method: 'PUT', body: armCfg })).status, 201);
  const armManifest = Buffer.from(JSON.stringify({ ...m.body, config: { ...m.body.config, digest: armCfgDigest, size: armCfg.length } }));
  const put = await fetch(`http://${registry.host}/v2/multi/img/manifests/arm64`, { method: 'PUT', body: armManifest, headers: { 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json' } });
  assert.equal(put.status, 201);
  const armDigest = put.headers.get('docker-content-digest')!;
  const amdBytes = await (await fetch(`http://${registry.host}/v2/multi/img/manifests/amd64`, { headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } })).arrayBuffer();
  const list = {
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
    manifests: [
      { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: armDigest, size: armManifest.length, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: m.digest, size: amdBytes.byteLength, platform: { os: 'linux', architecture: 'amd64' } },
    ],
  };
  const putList = await fetch(`http://${registry.host}/v2/multi/img/manifests/latest`, { method: 'PUT', body: JSON.stringify(list), headers: { 'Content-Type': list.mediaType } });
  assert.equal(putList.status, 201);
  const listDigest = putList.headers.get('docker-content-digest')!;

  ok(['rmi', `${reg}/multi/img:amd64`]);
  const pulled = await dockerOk(['pull', `${reg}/multi/img`]);
  assert.match(pulled, new RegExp(`Digest: ${listDigest}`));
  assert.equal(ok(['image', 'inspect', '-f', '{{.Id}}', `${reg}/multi/img`]).trim(), id);
  await dockerOk(['pull', '--platform', 'linux/arm64', `${reg}/multi/img`]);
  assert.equal(ok(['image', 'inspect', '-f', '{{.Id}} {{.Architecture}}', `${reg}/multi/img`]).trim(), `${armCfgDigest} arm64`);
  const none = await docker(['pull', '--platform', 'linux/s390x', `${reg}/multi/img`]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no matching manifest for linux\/s390x in the manifest list entries/);

  // GET /distribution/{name}/json (cri-dockerd asks it): the descriptor and platforms the registry serves, nothing pulled.
  const dist = async (ref: string) => {
    const r = await api(d.sock, 'GET', `/v1.42/distribution/${ref}/json`);
    return { status: r.status, body: JSON.parse(r.body) };
  };
  const before = ok(['images', '-q', '--no-trunc']);
  assert.deepEqual(await dist(`${reg}/multi/img`), {
    status: 200,
    body: { Descriptor: { mediaType: list.mediaType, digest: listDigest, size: Buffer.byteLength(JSON.stringify(list)) }, Platforms: [{ os: 'linux', architecture: 'arm64', variant: 'v8' }, { os: 'linux', architecture: 'amd64' }] },
  });
  const one = await dist(`${reg}/multi/img:arm64`);
  assert.deepEqual(one, { status: 200, body: { Descriptor: { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: armDigest, size: armManifest.length }, Platforms: [{ architecture: 'arm64', os: 'linux' }] } });
  assert.deepEqual(await dist(`${reg}/multi/img@${armDigest}`), one);
  assert.deepEqual(await dist(`${reg}/multi/img:nope`), { status: 404, body: { message: 'manifest unknown: manifest unknown' } });
  assert.equal((await dist('BAD!name')).status, 400);
  assert.equal(ok(['images', '-q', '--no-trunc']), before);
});

test('search lists the repositories of a registry whose name matches', async () => {
  const out = await dockerOk(['search', `${reg}/team`]);
  assert.match(out, /^NAME\s+DESCRIPTION\s+STARS\s+OFFICIAL$/m);
  assert.match(out, new RegExp(`^${reg}/team/app\\s`, 'm'));
  assert.doesNotMatch(out, /multi\/img/);
});

test('a registry with htpasswd: push refused without login, wrong password refused, login, push, pull, logout', async () => {
  const secured = await TestRegistry.start({ user: 'alice', password: 's3cret' });
  try {
    const host = secured.host;
    ok(['tag', 'busybox', `${host}/private/bb:1`]);
    const anon = await docker(['push', `${host}/private/bb:1`]);
    assert.equal(anon.code, 1);
    assert.match(anon.stderr, /no basic auth credentials/);
    const bad = d.docker(['login', host, '-u', 'alice', '--password-stdin'], { input: 'nope\n' });
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr.trim().split('\n').pop(), `Error response from daemon: login attempt to http://${host}/v2/ failed with status: 401 Unauthorized`);
    const good = d.docker(['login', host, '-u', 'alice', '--password-stdin'], { input: 's3cret\n' });
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /Login Succeeded/);
    const config = JSON.parse(readFileSync(path.join(d.env.DOCKER_CONFIG!, 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
    assert.equal(Buffer.from(config.auths[host].auth, 'base64').toString(), 'alice:s3cret');
    const pushed = await dockerOk(['push', `${host}/private/bb:1`]);
    assert.match(pushed, /1: digest: sha256:/);
    ok(['rmi', `${host}/private/bb:1`]);
    await dockerOk(['pull', `${host}/private/bb:1`]);
    assert.equal(ok(['run', '--rm', `${host}/private/bb:1`, 'echo', 'authed']), 'authed\n');
    assert.match(await dockerOk(['search', `${host}/private`]), new RegExp(`${host}/private/bb`));
    assert.match(ok(['logout', host]), new RegExp(`Removing login credentials for ${host}`));
    ok(['rmi', `${host}/private/bb:1`]);
    const after = await docker(['pull', `${host}/private/bb:1`]);
    assert.equal(after.code, 1);
    assert.match(after.stderr, /no basic auth credentials/);
  } finally {
    await secured.stop();
  }
});

test('import from a URL: the daemon downloads the archive, following a redirect; a 404 is a clear error', async () => {
  const { createServer } = await import('node:http');
  const tar = readFileSync(BUSYBOX_TAR);
  const server = createServer((req, res) => {
    if (req.url === '/old.tar') res.writeHead(302, { Location: '/rootfs.tar' }).end();
    else if (req.url === '/rootfs.tar') res.writeHead(200, { 'Content-Length': tar.length }).end(tar);
    else res.writeHead(404).end('no such file');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    const out = await dockerOk(['import', '-m', 'from the web', `${base}/old.tar`, 'web/imported:1']);
    assert.match(out, /^sha256:[0-9a-f]{64}$/m);
    assert.equal(ok(['run', '--rm', 'web/imported:1', 'echo', 'imported']), 'imported\n');
    assert.match(ok(['history', '--format', '{{.Comment}}', 'web/imported:1']), /from the web/);
    const missing = await docker(['import', `${base}/missing.tar`, 'web/missing:1']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, new RegExp(`Get "${base}/missing.tar": 404 Not Found`));
    assert.equal(d.docker(['image', 'inspect', 'web/missing:1']).code, 1);
  } finally {
    server.close();
    ok(['rmi', 'web/imported:1']);
  }
});

test('a registry with bearer-token auth: the daemon follows the challenge to the token server for login, push and pull', async () => {
  const tokens = await new TokenServer('bob', 'tok3n').start();
  const secured = await TestRegistry.start({ token: tokens });
  try {
    const host = secured.host;
    ok(['tag', 'busybox', `${host}/tok/bb:1`]);
    // Anonymous: the token server grants nothing, the registry refuses.
    const anon = await docker(['push', `${host}/tok/bb:1`]);
    assert.equal(anon.code, 1, anon.stdout);
    // (Asynchronous: the token server runs in this process.)
    const bad = await docker(['login', host, '-u', 'bob', '-p', 'wrong']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr.trim().split('\n').pop(), `Error response from daemon: Get "http://${host}/v2/": unauthorized: incorrect username or password`);
    const good = await docker(['login', host, '-u', 'bob', '-p', 'tok3n']);
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /Login Succeeded/);
    const pushed = await dockerOk(['push', `${host}/tok/bb:1`]);
    assert.match(pushed, /1: digest: sha256:/);
    assert.ok(tokens.requests.some((r) => r.authorized && r.account === 'bob' && r.scopes.some((s) => s === 'repository:tok/bb:pull,push')), JSON.stringify(tokens.requests));
    ok(['rmi', `${host}/tok/bb:1`]);
    await dockerOk(['pull', `${host}/tok/bb:1`]);
    assert.equal(ok(['run', '--rm', `${host}/tok/bb:1`, 'echo', 'token']), 'token\n');
    assert.ok(tokens.requests.some((r) => r.authorized && r.scopes.includes('repository:tok/bb:pull')), JSON.stringify(tokens.requests));
    ok(['logout', host]);
    ok(['rmi', `${host}/tok/bb:1`]);
    assert.equal((await docker(['pull', `${host}/tok/bb:1`])).code, 1);
  } finally {
    await secured.stop();
    await tokens.stop();
  }
});

test('pull -a pulls every tag of a repository, with one status line for it', async () => {
  ok(['tag', 'busybox', `${reg}/every/tag:one`]);
  const id2 = commitImage(`${reg}/every/tag:two`, 1, 'two');
  await dockerOk(['push', '-a', `${reg}/every/tag`]);
  ok(['rmi', `${reg}/every/tag:one`, `${reg}/every/tag:two`]);
  const out = await dockerOk(['pull', '-a', `${reg}/every/tag`]);
  assert.match(out, /^one: Pulling from every\/tag$/m);
  assert.match(out, /^two: Pulling from every\/tag$/m);
  assert.equal(out.split('\n').filter((l) => l.startsWith('Status: ')).join('\n'), `Status: Downloaded newer image for ${reg}/every/tag`);
  assert.equal(ok(['images', '--format', '{{.Tag}} {{.ID}}', `${reg}/every/tag`]).trim().split('\n').sort().join('\n'), `one ${ok(['image', 'inspect', '-f', '{{.Id}}', 'busybox']).trim().slice(7, 19)}\ntwo ${id2.slice(7, 19)}`);
  const none = await docker(['pull', '-a', `${reg}/every/missing`]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /repository name not known to registry/);
  ok(['rmi', `${reg}/every/tag:one`, `${reg}/every/tag:two`]);
});

test('image prune releases the layers of a pull that failed (layer.released); the next pull fetches them again', async () => {
  ok(['run', '--name', 'g1', 'busybox', 'sh', '-c', 'dd if=/dev/urandom of=/one bs=1M count=2 2>/dev/null']);
  ok(['commit', 'g1', 'tmp/g1']);
  ok(['run', '--name', 'g2', 'tmp/g1', 'sh', '-c', 'echo two > /two']);
  ok(['commit', 'g2', `${reg}/gc/img:v1`]);
  ok(['rm', 'g1', 'g2']);
  await dockerOk(['push', `${reg}/gc/img:v1`]);
  ok(['rmi', `${reg}/gc/img:v1`, 'tmp/g1']);
  const [, first, second] = (await manifestOf('gc/img', 'v1')).body.layers.map((l) => l.digest);
  // Whatever earlier tests left dangling goes first: the prune below then only releases layers.
  ok(['image', 'prune', '-f']);
  const layersDir = path.join(d.dataRoot, 'image', 'layers');
  const before = readdirSync(layersDir).length;

  // The second layer hangs: the pull fails after --registry-timeout, the first layer stays.
  proxy.fault = (method, p) => (p.includes(`/blobs/${second}`) ? 'hang' : 'pass');
  try {
    const failed = await docker(['pull', `${reg}/gc/img:v1`]);
    assert.equal(failed.code, 1);
  } finally {
    proxy.fault = () => 'pass';
  }
  assert.equal(readdirSync(layersDir).length, before + 1);

  // (The docker CLI prints the space only when images were deleted: the API says it.)
  const pruned = await api(d.sock, 'POST', '/images/prune');
  assert.equal(pruned.status, 200, pruned.body);
  const report = JSON.parse(pruned.body) as { ImagesDeleted: unknown; SpaceReclaimed: number };
  assert.equal(report.ImagesDeleted, null);
  assert.ok(report.SpaceReclaimed > 2_000_000 && report.SpaceReclaimed < 3_000_000, pruned.body);
  assert.equal(readdirSync(layersDir).length, before);
  // Journaled: the daemon comes back without it.
  await d.stop();
  await d.start(['--registry-timeout', '3']);
  assert.equal(ok(['image', 'prune', '-f']), 'Total reclaimed space: 0B\n');

  const [g1, g2] = [proxy.blobGets(first), proxy.blobGets(second)];
  const again = await dockerOk(['pull', `${reg}/gc/img:v1`]);
  assert.match(again, new RegExp(`${first.slice(7, 19)}: Pull complete`));
  assert.deepEqual([proxy.blobGets(first) - g1, proxy.blobGets(second) - g2], [1, 1]);
  assert.equal(ok(['run', '--rm', `${reg}/gc/img:v1`, 'cat', '/two']), 'two\n');
  ok(['rmi', `${reg}/gc/img:v1`]);
});
