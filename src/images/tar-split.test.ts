import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync, appendFileSync, linkSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ImageStore } from './store';
import { LayerDamagedError } from './tar-split';

// A layer is kept once, unpacked, with a tar-split index: the tar it came from must come
// back bit for bit (same diff id) from the index and the unpacked files, whatever the tar holds.
const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-tar-split-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const tarBin = (args: string[], cwd: string) => execFileSync('tar', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });

async function roundTrip(store: ImageStore, tarFile: string): Promise<{ diffId: string; chainId: string; back: Buffer }> {
  const bytes = readFileSync(tarFile);
  const layer = await store.ingestLayer(createReadStream(tarFile));
  assert.equal(layer.diffId, sha(bytes));
  assert.equal(existsSync(store.blobPath(layer.diffId)), false, 'no tar blob is kept');
  const { size, stream } = await store.openLayer(layer.diffId, layer.chainId);
  assert.equal(size, bytes.length);
  const parts: Buffer[] = [];
  for await (const b of stream) parts.push(b);
  const back = Buffer.concat(parts);
  assert.equal(sha(back), layer.diffId);
  assert.ok(back.equals(bytes), 'the same bytes');
  return { ...layer, back };
}

/** A tree with what layers hold: long names, hardlinks, symlinks, devices, fifos, xattrs, empty dirs, whiteouts, a sparse file, odd modes. */
function oddTree(root: string): string[] {
  mkdirSync(path.join(root, 'empty-dir'), { recursive: true });
  const deep = path.join(root, 'd'.repeat(90), 'e'.repeat(90), 'f'.repeat(90));
  mkdirSync(deep, { recursive: true });
  writeFileSync(path.join(deep, `${'long-name-'.repeat(12)}.txt`), 'deep\n');
  writeFileSync(path.join(root, 'file'), Buffer.alloc(2 << 20, 7)); // big: written by the daemon itself
  writeFileSync(path.join(root, 'small'), Buffer.alloc(70000, 8));
  execFileSync('chmod', ['4750', path.join(root, 'file')]);
  writeFileSync(path.join(root, 'empty-file'), '');
  linkSync(path.join(root, 'file'), path.join(root, 'hardlink'));
  symlinkSync('file', path.join(root, 'symlink'));
  symlinkSync('x'.repeat(150), path.join(root, 'long-symlink'));
  execFileSync('mknod', [path.join(root, 'null'), 'c', '1', '3']);
  execFileSync('mkfifo', [path.join(root, 'fifo')]);
  writeFileSync(path.join(root, '.wh.gone'), '');
  mkdirSync(path.join(root, 'opaque'));
  writeFileSync(path.join(root, 'opaque', '.wh..wh..opq'), '');
  writeFileSync(path.join(root, 'xattr'), 'with xattr\n');
  execFileSync('setfattr', ['-n', 'user.wharf', '-v', 'yes', path.join(root, 'xattr')]);
  writeFileSync(path.join(root, 'sparse'), 'start');
  truncateSync(path.join(root, 'sparse'), 5 << 20);
  appendFileSync(path.join(root, 'sparse'), 'end');
  writeFileSync(path.join(root, 'ünïcödé ☃'), 'utf8 name\n');
  return readdirSync(root);
}

test('pax and gnu tars with long names, links, devices, xattrs, sparse files and whiteouts come back bit for bit', async () => {
  const src = path.join(dir, 'odd');
  mkdirSync(src);
  oddTree(src);
  const store = new ImageStore(path.join(dir, 'store1'));
  await store.init();
  for (const [fmt, extra] of [['pax', ['--xattrs']], ['gnu', []], ['gnu', ['--sparse']], ['pax', ['--sparse']], ['ustar', []]] as const) {
    const file = path.join(dir, `odd-${fmt}-${extra.join('')}.tar`);
    // ustar cannot hold the long names: only what it can.
    const members = fmt === 'ustar' ? ['file', 'hardlink', 'symlink', 'null', 'fifo', 'empty-dir', '.wh.gone'] : ['.'];
    tarBin(['-cf', file, `--format=${fmt}`, ...extra, ...members], src);
    const { chainId } = await roundTrip(store, file);
    // The big file (written by the daemon, not the tar) is as the tar says: bytes, mode, times, its hard link.
    const tree = store.layerDir(chainId);
    const [a, b, s0] = [statSync(path.join(tree, 'file')), statSync(path.join(tree, 'hardlink')), statSync(path.join(src, 'file'))];
    assert.equal(a.ino, b.ino, `${fmt}: the hard link is the same file`);
    assert.equal(a.mode & 0o7777, 0o4750);
    assert.equal(Math.floor(a.mtimeMs / 1000), Math.floor(s0.mtimeMs / 1000));
    assert.ok(readFileSync(path.join(tree, 'file')).equals(readFileSync(path.join(src, 'file'))));
    rmSync(path.dirname(tree), { recursive: true });
  }
});

test('a file a later entry replaces, a whited-out file and a file under a symlink of the same tar come back too', async () => {
  const src = path.join(dir, 'dups');
  mkdirSync(path.join(src, 'sub'), { recursive: true });
  writeFileSync(path.join(src, 'a'), Buffer.alloc(3 << 19, 1)); // big (written direct), then replaced
  writeFileSync(path.join(src, 'sub', 'b'), 'b content\n');
  writeFileSync(path.join(src, 'keep'), 'keep\n');
  const file = path.join(dir, 'dups.tar');
  tarBin(['-cf', file, 'a', 'sub', 'keep'], src);
  // The same name again with other bytes, then a whiteout of sub/b (as a broken layer would).
  writeFileSync(path.join(src, 'a'), 'second, longer version\n');
  writeFileSync(path.join(src, 'sub', '.wh.b'), '');
  tarBin(['-rf', file, 'a', 'sub/.wh.b'], src);
  // A symlink to a directory, then a file through it.
  symlinkSync('sub', path.join(src, 'lnk'));
  tarBin(['-rf', file, 'lnk', 'keep', '--transform', 's,^keep$,lnk/c,'], src);
  const store = new ImageStore(path.join(dir, 'store2'));
  await store.init();
  const { chainId } = await roundTrip(store, file);
  assert.equal(readFileSync(path.join(store.layerDir(chainId), 'a'), 'utf8'), 'second, longer version\n');
  assert.ok(existsSync(`${store.indexPath(sha(readFileSync(file)))}.stash`), 'the replaced bytes are in the stash');
});

test('an unpacked layer changed underneath is reported as damaged, never given out under its digest', async () => {
  const src = path.join(dir, 'dmg');
  mkdirSync(src);
  writeFileSync(path.join(src, 'f'), Buffer.alloc(3 << 20, 1));
  const file = path.join(dir, 'dmg.tar');
  tarBin(['-cf', file, 'f'], src);
  const store = new ImageStore(path.join(dir, 'store3'));
  await store.init();
  const { diffId, chainId } = await roundTrip(store, file);
  writeFileSync(path.join(store.layerDir(chainId), 'f'), Buffer.alloc(3 << 20, 2));
  const { stream } = await store.openLayer(diffId, chainId);
  let got = 0;
  await assert.rejects(async () => {
    for await (const b of stream) got += b.length;
  }, (e: Error) => e instanceof LayerDamagedError && /is damaged/.test(e.message));
  assert.ok(got < readFileSync(file).length, 'the last bytes are held back');
});

test('a layer kept as a blob (an earlier data root) is served from it, then converted to an index', async () => {
  const src = path.join(dir, 'old');
  mkdirSync(src);
  oddTree(src);
  const file = path.join(dir, 'old.tar');
  tarBin(['-cf', file, '--format=pax', '--xattrs', '.'], src);
  const bytes = readFileSync(file);
  const store = new ImageStore(path.join(dir, 'store4'));
  await store.init();
  const { diffId, chainId } = await store.ingestLayer(createReadStream(file));
  // As an earlier version left it: the tar as a blob, no index.
  rmSync(store.indexPath(diffId));
  writeFileSync(store.blobPath(diffId), bytes);
  const read = async () => {
    const parts: Buffer[] = [];
    for await (const b of (await store.openLayer(diffId, chainId)).stream) parts.push(b);
    return Buffer.concat(parts);
  };
  assert.ok((await read()).equals(bytes));
  assert.equal(await store.convertBlob(diffId, chainId), true);
  assert.equal(existsSync(store.blobPath(diffId)), false);
  assert.ok(existsSync(store.indexPath(diffId)));
  assert.ok((await read()).equals(bytes));
  // A blob whose tree does not give it back is left alone.
  writeFileSync(store.blobPath(diffId), bytes);
  rmSync(store.indexPath(diffId));
  writeFileSync(path.join(store.layerDir(chainId), 'file'), 'changed');
  assert.equal(await store.convertBlob(diffId, chainId), false);
  assert.ok(readFileSync(store.blobPath(diffId)).equals(bytes), 'the blob is kept');
});

test('a tar arriving in chunks smaller than a header block (one header over three chunks) reaches the unpacking byte for byte', async () => {
  const src = path.join(dir, 'small-chunks');
  mkdirSync(src, { recursive: true });
  for (let i = 0; i < 20; i++) writeFileSync(path.join(src, `f${i}`), Buffer.alloc(100 + i * 37, i));
  const tarFile = path.join(dir, 'small-chunks.tar');
  tarBin(['-cf', tarFile, '-C', src, '.'], dir);
  const bytes = readFileSync(tarFile);
  const store = new ImageStore(path.join(dir, 'store-small-chunks'));
  await store.init();
  const intake = await store.intake();
  try {
    // 200-byte chunks: a 512-byte header is held across three of them.
    for (let off = 0; off < bytes.length; off += 200) await intake.write(bytes.subarray(off, off + 200));
    const { diffId } = intake.end();
    assert.equal(diffId, sha(bytes));
    await intake.commit(diffId);
  } finally {
    await intake.abort();
  }
  const { stream } = await store.openLayer(sha(bytes), sha(bytes));
  const parts: Buffer[] = [];
  for await (const b of stream) parts.push(b);
  assert.ok(Buffer.concat(parts).equals(bytes), 'the same bytes');
  assert.deepEqual(readFileSync(path.join(store.layerDir(sha(bytes)), 'f19')), Buffer.alloc(100 + 19 * 37, 19));
});
