import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get, type IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { test } from 'node:test';
import { BUSYBOX_TAR, daemonForFile, eventually } from './helpers/wharfd';

// docker save and docker load with the real docker CLI, checked against skopeo, which reads
// and writes the same archive formats as Docker (docker-archive:, oci-archive:).
const d = daemonForFile();
const ok = (args: string[]) => d.dockerOk(args);
/** The events up to now: --until is in whole seconds, so the next one. */
const until = () => String(Math.ceil(Date.now() / 1000) + 1);
const skopeo = (args: string[]) => {
  const r = spawnSync('skopeo', args, { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `skopeo ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

test('save writes an archive skopeo reads; load reads docker-archive and oci-archive; the images run', () => {
  ok(['run', '--name', 'saver', 'busybox', 'sh', '-c', 'echo saved > /saved.txt']);
  const id = ok(['commit', 'saver', 'saved/img:v1']).trim();
  ok(['rm', 'saver']);
  const archive = path.join(d.dir, 'saved.tar');
  ok(['save', '-o', archive, 'saved/img:v1']);
  const names = spawnSync('tar', ['-tf', archive], { encoding: 'utf8' }).stdout.split('\n');
  for (const n of ['manifest.json', 'index.json', 'oci-layout', 'repositories', `blobs/sha256/${id.slice(7)}`]) assert.ok(names.includes(n), n);
  const manifest = JSON.parse(spawnSync('tar', ['-xOf', archive, 'manifest.json'], { encoding: 'utf8' }).stdout);
  assert.deepEqual(manifest[0].RepoTags, ['saved/img:v1']);
  const info = JSON.parse(skopeo(['inspect', `docker-archive:${archive}`]));
  assert.equal(info.Layers.length, 2);
  assert.equal(JSON.parse(skopeo(['inspect', `oci-archive:${archive}`])).Layers.length, 2);
  const ev = ok(['events', '--since', '1m', '--until', until(), '--filter', 'event=save', '--format', '{{.Action}} {{.Actor.ID}}']);
  assert.match(ev, new RegExp(`save ${id}`));

  // Load it back after removing it: same id, same tag, it runs.
  ok(['rmi', 'saved/img:v1']);
  assert.equal(ok(['load', '-i', archive]), 'Loaded image: saved/img:v1\n');
  assert.equal(ok(['image', 'inspect', '-f', '{{.Id}}', 'saved/img:v1']).trim(), id);
  assert.equal(ok(['run', '--rm', 'saved/img:v1', 'cat', '/saved.txt']), 'saved\n');

  // What skopeo writes: a docker-archive with another name, and an OCI archive (from stdin).
  const sk = path.join(d.dir, 'skopeo-docker.tar');
  const oci = path.join(d.dir, 'skopeo-oci.tar');
  skopeo(['copy', '-q', `docker-archive:${archive}`, `docker-archive:${sk}:other/name:v2`]);
  skopeo(['copy', '-q', `docker-archive:${archive}`, `oci-archive:${oci}:v3`]);
  assert.equal(ok(['load', '-i', sk]), 'Loaded image: other/name:v2\n');
  assert.equal(ok(['run', '--rm', 'other/name:v2', 'cat', '/saved.txt']), 'saved\n');
  const fromOci = d.docker(['load'], { input: readFileSync(oci) });
  assert.equal(fromOci.code, 0, fromOci.stderr);
  const loadedId = /^Loaded image ID: (sha256:[0-9a-f]{64})$/m.exec(fromOci.stdout)?.[1];
  assert.ok(loadedId, fromOci.stdout);
  assert.equal(ok(['run', '--rm', loadedId, 'cat', '/saved.txt']), 'saved\n');
  const evs = ok(['events', '--since', '1m', '--until', until(), '--filter', 'type=image', '--format', '{{.Action}}']);
  assert.match(evs, /^load$/m, evs);
});

test('a damaged archive is refused and leaves no image behind', () => {
  const before = ok(['images', '-q']).trim().split('\n').length;
  const bad = d.docker(['load'], { input: Buffer.from('not a tar at all') });
  assert.notEqual(bad.code, 0);
  assert.equal(ok(['images', '-q']).trim().split('\n').length, before);
});

test('wharf save and wharf load do the same', () => {
  const archive = path.join(d.dir, 'wharf-saved.tar');
  const w = d.wharf(['save', '-o', archive, 'busybox']);
  assert.equal(w.code, 0, w.stderr);
  assert.equal(JSON.parse(skopeo(['inspect', `docker-archive:${archive}`])).Layers.length, 1);
  assert.equal(d.wharf(['load', '-i', archive]).stdout, 'Loaded image: busybox:latest\n');
  const bad = d.wharf(['save', 'nosuchimage']);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, d.docker(['save', 'nosuchimage']).stderr);
});

test('history of a loaded image lists its #(nop) rows (no layer, 0B) above the layer that made its files', () => {
  const dir = path.join(d.dir, 'nop-archive');
  mkdirSync(dir, { recursive: true });
  const layer = readFileSync(BUSYBOX_TAR);
  const diffId = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
  writeFileSync(path.join(dir, 'layer.tar'), layer);
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    created: '2024-05-01T10:00:02Z',
    config: { Cmd: ['sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [
      { created: '2024-05-01T10:00:01Z', created_by: '/bin/sh -c #(nop) ADD file:6b8c3b1d0fa5b8e4c8b7b2b0b7a0c2f8 in / ' },
      { created: '2024-05-01T10:00:02Z', created_by: '/bin/sh -c #(nop)  CMD ["sh"]', empty_layer: true },
    ],
  }));
  const cfgHex = createHash('sha256').update(config).digest('hex');
  writeFileSync(path.join(dir, `${cfgHex}.json`), config);
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify([{ Config: `${cfgHex}.json`, RepoTags: ['nop/img:1'], Layers: ['layer.tar'] }]));
  const archive = path.join(d.dir, 'nop.tar');
  assert.equal(spawnSync('tar', ['-cf', archive, '-C', dir, '.']).status, 0);
  assert.equal(ok(['load', '-i', archive]), 'Loaded image: nop/img:1\n');
  const rows = ok(['history', '--no-trunc', '--format', '{{.ID}}|{{.CreatedBy}}|{{.Size}}', 'nop/img:1']).trim().split('\n');
  assert.equal(rows.length, 2);
  assert.match(rows[0], new RegExp(`^sha256:${cfgHex}\\|/bin/sh -c #\\(nop\\)  CMD \\["sh"\\]\\|0B$`));
  assert.match(rows[1], /^<missing>\|\/bin\/sh -c #\(nop\) ADD file:\S+ in \/ \|2\.\d+MB$/);
  const table = ok(['history', 'nop/img:1']).split('\n');
  assert.match(table[0], /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
  assert.match(table[2], /^<missing>\s+.+ago\s+\/bin\/sh -c #\(nop\) ADD file:6b8c3b1d0fa5b8e4c…\s+2\.\d+MB\s*$/);
  ok(['rmi', 'nop/img:1']);
});

/** A tar of these files (path → content), made with tar-stream. */
async function tarOf(files: Record<string, string | Buffer>): Promise<Buffer> {
  const { pack } = await import('tar-stream');
  const p = pack();
  for (const [name, content] of Object.entries(files)) p.entry({ name, mode: 0o644 }, content);
  p.finalize();
  const parts: Buffer[] = [];
  for await (const c of p) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

test('an image of 100 layers runs (overlay mount options too long for full paths: short links)', async () => {
  const dir = path.join(d.dir, 'deep-archive');
  mkdirSync(dir, { recursive: true });
  const layers: Buffer[] = [readFileSync(BUSYBOX_TAR)];
  for (let i = 1; i < 100; i++) layers.push(await tarOf({ [`layer${i}`]: `${i}\n`, 'top': `${i}\n` }));
  const diffIds = layers.map((l) => `sha256:${createHash('sha256').update(l).digest('hex')}`);
  layers.forEach((l, i) => writeFileSync(path.join(dir, `l${i}.tar`), l));
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    created: '2024-05-01T10:00:00Z',
    config: { Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: diffIds.map((_, i) => ({ created: '2024-05-01T10:00:00Z', created_by: `layer ${i}` })),
  }));
  const cfgHex = createHash('sha256').update(config).digest('hex');
  writeFileSync(path.join(dir, `${cfgHex}.json`), config);
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify([{ Config: `${cfgHex}.json`, RepoTags: ['deep/img:100'], Layers: layers.map((_, i) => `l${i}.tar`) }]));
  const archive = path.join(d.dir, 'deep.tar');
  assert.equal(spawnSync('tar', ['-cf', archive, '-C', dir, '.']).status, 0);
  assert.equal(ok(['load', '-i', archive]), 'Loaded image: deep/img:100\n');
  assert.equal(ok(['run', '--rm', 'deep/img:100', 'cat', '/layer1', '/layer50', '/layer99', '/top']), '1\n50\n99\n99\n');
  ok(['rmi', 'deep/img:100']);
});

test('an rmi while a save reads the image: the save completes whole, and the layer goes after it', async () => {
  // Three files of 8 MB: the save reads them one after the other, so a layer removed under it
  // would leave the next ones unreadable.
  ok(['run', '--name', 'big', 'busybox', 'sh', '-c', 'for f in a b c; do head -c 8000000 /dev/urandom > /$f; done']);
  const layersDir = path.join(d.dataRoot, 'image', 'layers');
  const before = new Set(readdirSync(layersDir));
  const id = ok(['commit', 'big', 'big/img:v1']).trim();
  ok(['rm', 'big']);
  const added = readdirSync(layersDir).filter((l) => !before.has(l));
  assert.equal(added.length, 1, 'the commit unpacked one new layer');

  // The archive through the API, its reading paused after the first bytes (the server's
  // stream then waits with the layer half read).
  const archive = path.join(d.dir, 'big.tar');
  const out = createWriteStream(archive);
  const res = await new Promise<IncomingMessage>((resolve, reject) => get({ socketPath: d.sock, path: '/images/get?names=big/img:v1' }, resolve).on('error', reject));
  assert.equal(res.statusCode, 200);
  await new Promise<void>((resolve) => res.once('data', (c: Buffer) => (out.write(c), res.pause(), resolve())));
  await sleep(300);
  assert.match(ok(['rmi', 'big/img:v1']), new RegExp(`Deleted: ${id}`));
  assert.equal(existsSync(path.join(layersDir, added[0])), true, 'kept while the save reads it');
  res.resume();
  await pipeline(res, out);

  // Whole: skopeo reads it, and it loads back and runs.
  const info = JSON.parse(skopeo(['inspect', `docker-archive:${archive}`])) as { Layers: string[] };
  assert.equal(info.Layers.length, 2);
  await eventually(() => !existsSync(path.join(layersDir, added[0])), 5_000, 'the layer removed once the save is over');
  assert.equal(ok(['load', '-i', archive]), 'Loaded image: big/img:v1\n');
  assert.equal(ok(['run', '--rm', 'big/img:v1', 'sh', '-c', 'wc -c < /c']).trim(), '8000000');
  ok(['rmi', 'big/img:v1']);
});

test('a load of layers the store has: one on the same parent is kept as it is, one on another parent is rebuilt from the store, a file named for one but holding other bytes is refused', () => {
  ok(['run', '--name', 'twice', 'busybox', 'sh', '-c', 'head -c 3000000 /dev/urandom > /rand && echo twice > /twice.txt']);
  const id = ok(['commit', 'twice', 'twice/img:v1']).trim();
  ok(['rm', 'twice']);
  const archive = path.join(d.dir, 'twice.tar');
  ok(['save', '-o', archive, 'twice/img:v1']);
  const layers = JSON.parse(ok(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', id])) as string[];
  const top = layers.at(-1)!;

  // The same image again, its layers in the store (a CI job loading its cache): same id, it runs.
  ok(['tag', 'twice/img:v1', 'twice/keep:v1']);
  ok(['rmi', 'twice/img:v1']);
  assert.equal(ok(['load', '-i', archive]), 'Loaded image: twice/img:v1\n');
  assert.equal(ok(['image', 'inspect', '-f', '{{.Id}}', 'twice/img:v1']).trim(), id);
  assert.equal(ok(['run', '--rm', 'twice/img:v1', 'cat', '/twice.txt']), 'twice\n');

  // The top layer alone, on no parent (an OCI layout written here): its tar comes from the store.
  const x = path.join(d.dir, 'twice-x');
  mkdirSync(x);
  assert.equal(spawnSync('tar', ['-xf', archive, '-C', x]).status, 0);
  const layerFile = readFileSync(path.join(x, 'blobs', 'sha256', top.slice(7)));
  const oci = (name: string, diffId: string, layer: Buffer) => {
    const dir = path.join(d.dir, name);
    mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
    const blob = (b: Buffer) => {
      const digest = createHash('sha256').update(b).digest('hex');
      writeFileSync(path.join(dir, 'blobs', 'sha256', digest), b);
      return { digest: `sha256:${digest}`, size: b.length };
    };
    const config = blob(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [diffId] } })));
    // The layer under the name of the diff id it claims.
    writeFileSync(path.join(dir, 'blobs', 'sha256', diffId.slice(7)), layer);
    const manifest = blob(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: diffId, size: layer.length }] })));
    writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest }] }));
    writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    const tarFile = `${dir}.tar`;
    assert.equal(spawnSync('tar', ['-cf', tarFile, '-C', dir, '.']).status, 0);
    return { tarFile, configId: config.digest };
  };
  const alone = oci('alone', top, layerFile);
  const loaded = ok(['load', '-i', alone.tarFile]);
  assert.equal(loaded, `Loaded image ID: ${alone.configId}\n`);
  assert.deepEqual(JSON.parse(ok(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', alone.configId])), [top]);
  const c = ok(['create', alone.configId, '/none']).trim();
  const cp = spawnSync('docker', ['cp', `${c}:/twice.txt`, '-'], { env: d.env });
  assert.equal(cp.status, 0, cp.stderr?.toString());
  assert.match(cp.stdout.toString('latin1'), /twice\n/);
  ok(['rm', c]);
  // Saved again, the layer is byte for byte the one it was loaded from.
  const again = path.join(d.dir, 'alone-again.tar');
  ok(['save', '-o', again, alone.configId]);
  const y = path.join(d.dir, 'alone-y');
  mkdirSync(y);
  assert.equal(spawnSync('tar', ['-xf', again, '-C', y]).status, 0);
  assert.equal(createHash('sha256').update(readFileSync(path.join(y, 'blobs', 'sha256', top.slice(7)))).digest('hex'), top.slice(7));

  // A file named for the stored layer that holds another tar: refused, no image.
  const other = Buffer.from(layerFile);
  other[other.length >> 1] ^= 0xff; // a byte of /rand's data (3 MB of the layer's 3 MB): still a tar
  const lying = oci('lying', top, other);
  const before = ok(['images', '-aq']);
  const refused = d.docker(['load', '-i', lying.tarFile]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /invalid diffID for layer 0/);
  assert.equal(ok(['images', '-aq']), before);
  ok(['rmi', 'twice/img:v1', 'twice/keep:v1', alone.configId]);
});
