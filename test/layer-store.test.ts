import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { chainIds, ImageStore } from '../src/images/store';
import { TestRegistry } from './helpers/registry';
import { eventually, TestDaemon } from './helpers/wharfd';

// Each layer is stored once, unpacked, with a tar-split index: save and push rebuild the
// exact tar (the same digests every time, what skopeo and the registry accept), load and pull
// write a layer once, and a data root of an earlier version (tars kept as blobs) keeps working
// and is converted.
const d = new TestDaemon();
let registry: TestRegistry;

before(async () => {
  registry = await TestRegistry.start({ parent: d.dir });
  await d.start();
  d.importBusybox();
  // A layer with what trips tar rebuilding up: hardlinks, a long name (PAX/GNU records), a
  // symlink, a fifo, an empty dir, a deleted busybox file (a whiteout), odd modes, incompressible data.
  const script = [
    'head -c 8388608 /dev/urandom > /big',
    'mkdir -p /odd/empty /odd/$(printf "d%.0s" $(seq 1 120))',
    'echo long > /odd/$(printf "d%.0s" $(seq 1 120))/$(printf "n%.0s" $(seq 1 150))',
    'echo a > /odd/a && ln /odd/a /odd/hard && ln -s a /odd/sym && mkfifo /odd/fifo && chmod 4711 /odd/a',
    'rm /bin/vi',
  ].join(' && ');
  d.dockerOk(['run', '--name', 'maker', 'busybox', 'sh', '-c', script]);
  d.dockerOk(['commit', 'maker', 'layers/odd:v1']);
  d.dockerOk(['rm', 'maker']);
});
after(async () => {
  await d.cleanup();
  await registry?.stop();
});

const ok = (args: string[]) => d.dockerOk(args);
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const store = () => new ImageStore(path.join(d.dataRoot, 'image'));

/** The layer blobs of a saved archive by digest, with their bytes' digest; the config's diff ids. */
function savedLayers(archive: string): { diffIds: string[]; layers: Map<string, string> } {
  const x = path.join(d.dir, `x-${path.basename(archive)}`);
  rmSync(x, { recursive: true, force: true });
  mkdirSync(x);
  assert.equal(spawnSync('tar', ['-xf', archive, '-C', x]).status, 0);
  const [m] = JSON.parse(readFileSync(path.join(x, 'manifest.json'), 'utf8')) as { Config: string; Layers: string[] }[];
  const config = JSON.parse(readFileSync(path.join(x, m.Config), 'utf8')) as { rootfs: { diff_ids: string[] } };
  const layers = new Map(m.Layers.map((l) => [`sha256:${path.basename(l)}`, sha(readFileSync(path.join(x, l)))]));
  rmSync(x, { recursive: true, force: true });
  return { diffIds: config.rootfs.diff_ids, layers };
}

function du(dir: string): number {
  spawnSync('sync');
  return Number(spawnSync('du', ['-s', '--block-size=1', dir], { encoding: 'utf8' }).stdout.split(/\s/)[0]);
}

test('save twice: the same layer bytes, named by the diff ids; load them back; no tar kept beside the unpacked files', () => {
  const a1 = path.join(d.dir, 'one.tar');
  const a2 = path.join(d.dir, 'two.tar');
  ok(['save', '-o', a1, 'layers/odd:v1']);
  ok(['save', '-o', a2, 'layers/odd:v1']);
  const s1 = savedLayers(a1);
  const s2 = savedLayers(a2);
  assert.equal(s1.diffIds.length, 2);
  for (const diffId of s1.diffIds) {
    assert.equal(s1.layers.get(diffId), diffId, 'a layer blob is the tar of its diff id');
    assert.equal(s2.layers.get(diffId), diffId);
  }
  assert.deepEqual(readdirSync(store().blobsDir).filter((b) => s1.diffIds.includes(`sha256:${b}`)), [], 'no layer tar is kept as a blob');
  // A load of the archive with the image gone, and the image runs as it was.
  ok(['rmi', 'layers/odd:v1']);
  assert.equal(ok(['load', '-i', a1]), 'Loaded image: layers/odd:v1\n');
  assert.equal(ok(['run', '--rm', 'layers/odd:v1', 'sh', '-c', 'cat /odd/hard; readlink /odd/sym; test -p /odd/fifo && echo fifo; test -e /bin/vi || echo no-vi; stat -c %a /odd/a']), 'a\na\nfifo\nno-vi\n4711\n');
  const a3 = path.join(d.dir, 'three.tar');
  ok(['save', '-o', a3, 'layers/odd:v1']);
  assert.deepEqual(savedLayers(a3).layers, s1.layers, 'the same layers after the load');
  for (const f of [a2, a3]) rmSync(f);
});

test('after a load the data root grows by at most 1.25 × the layers it wrote', () => {
  const archive = path.join(d.dir, 'one.tar');
  ok(['rmi', 'layers/odd:v1']);
  const { diffIds } = savedLayers(archive);
  const top = diffIds[diffIds.length - 1];
  // busybox's layer stays: the load writes the top layer only.
  const x = path.join(d.dir, 'top');
  mkdirSync(x);
  spawnSync('tar', ['-xf', archive, '-C', x, `blobs/sha256/${top.slice(7)}`]);
  const written = readFileSync(path.join(x, 'blobs', 'sha256', top.slice(7))).length;
  rmSync(x, { recursive: true, force: true });
  const before = du(d.dataRoot);
  assert.equal(ok(['load', '-i', archive]), 'Loaded image: layers/odd:v1\n');
  const growth = du(d.dataRoot) - before;
  assert.ok(growth <= 1.25 * written, `the data root grew by ${growth} bytes for a layer of ${written} (${(growth / written).toFixed(2)}×)`);
});

test('push to a registry: skopeo reads the image back with every digest right; pull it back and it runs', async () => {
  const ref = `${registry.host}/layers/odd:v1`;
  ok(['tag', 'layers/odd:v1', ref]);
  ok(['push', ref]);
  const out = path.join(d.dir, 'skopeo-dir');
  const r = spawnSync('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${ref}`, `dir:${out}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { config: { digest: string }; layers: { digest: string; size: number }[] };
  const config = JSON.parse(readFileSync(path.join(out, manifest.config.digest.slice(7)), 'utf8')) as { rootfs: { diff_ids: string[] } };
  assert.equal(manifest.layers.length, 2);
  for (const [i, l] of manifest.layers.entries()) {
    const blob = readFileSync(path.join(out, l.digest.slice(7)));
    assert.equal(sha(blob), l.digest);
    assert.equal(blob.length, l.size);
    assert.equal(sha(gunzipSync(blob)), config.rootfs.diff_ids[i], 'the pushed tar is the layer of the diff id');
  }
  rmSync(out, { recursive: true, force: true });
  ok(['rmi', ref, 'layers/odd:v1']);
  ok(['pull', ref]);
  assert.equal(ok(['run', '--rm', ref, 'cat', '/odd/hard']), 'a\n');
  // The pulled layer is stored once too, and saves with the same digests as before.
  const archive = path.join(d.dir, 'pulled.tar');
  ok(['save', '-o', archive, ref]);
  assert.deepEqual(savedLayers(archive).layers, savedLayers(path.join(d.dir, 'one.tar')).layers);
  rmSync(archive);
  ok(['tag', ref, 'layers/odd:v1']);
});

test('a data root of an earlier version (layer tars as blobs, no index) saves and pushes as before and is converted at boot', async () => {
  const img = JSON.parse(ok(['image', 'inspect', 'layers/odd:v1'])) as { RootFS: { Layers: string[] } }[];
  const diffIds = img[0].RootFS.Layers;
  await d.stop();
  // What an earlier version left: each layer's tar as a blob, no tar-split index.
  const s = store();
  const chains = chainIds(diffIds);
  for (const [i, diffId] of diffIds.entries()) {
    const parts: Buffer[] = [];
    for await (const b of (await s.openLayer(diffId, chains[i])).stream) parts.push(b);
    writeFileSync(s.blobPath(diffId), Buffer.concat(parts));
    rmSync(s.indexPath(diffId), { force: true });
    rmSync(`${s.indexPath(diffId)}.stash`, { force: true });
  }
  await d.start();
  const archive = path.join(d.dir, 'old-root.tar');
  ok(['save', '-o', archive, 'layers/odd:v1']);
  for (const diffId of diffIds) assert.equal(savedLayers(archive).layers.get(diffId), diffId);
  const ref = `${registry.host}/layers/old:v1`;
  ok(['tag', 'layers/odd:v1', ref]);
  ok(['push', ref]);
  await eventually(() => diffIds.every((dd) => !existsSync(s.blobPath(dd)) && existsSync(s.indexPath(dd))), 20_000, 'the blobs converted to indexes');
  ok(['save', '-o', archive, 'layers/odd:v1']);
  for (const diffId of diffIds) assert.equal(savedLayers(archive).layers.get(diffId), diffId);
  await eventually(() => /"converted":2.*converted to tar-split indexes/.test(d.log), 10_000, 'the conversion logged');
});

test('a layer changed on disk underneath: save and push fail naming the damage; the registry gets no manifest', async () => {
  const img = JSON.parse(ok(['image', 'inspect', 'layers/odd:v1'])) as { RootFS: { Layers: string[] } }[];
  const diffIds = img[0].RootFS.Layers;
  const s = store();
  const tree = s.layerDir(chainIds(diffIds)[1]);
  writeFileSync(path.join(tree, 'big'), Buffer.alloc(8388608, 1)); // same size, other bytes
  // A registry that has none of its layers (the first one would mount them from another repository).
  const fresh = await TestRegistry.start({ parent: d.dir });
  try {
    const ref = `${fresh.host}/layers/damaged:v1`;
    ok(['tag', 'layers/odd:v1', ref]);
    const push = d.docker(['push', ref]);
    assert.notEqual(push.code, 0);
    assert.match(push.stderr + push.stdout, /is damaged/);
    const res = await fetch(`http://${fresh.host}/v2/layers/damaged/manifests/v1`, { headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
    assert.equal(res.status, 404);
  } finally {
    await fresh.stop();
  }
  const save = d.docker(['save', '-o', path.join(d.dir, 'damaged.tar'), 'layers/odd:v1']);
  assert.notEqual(save.code, 0);
  await eventually(() => /layer sha256:[0-9a-f]{64} is damaged/.test(d.log), 5000, 'the damage logged');
});
