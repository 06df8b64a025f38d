import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import * as tar from 'tar-stream';
import { openDir } from './scoped-fs';
import { packContents } from './tar-pack';
import { opaqueDirs, opaqueTarName, parseTarWhiteout, tarWhiteoutsToOverlay, unescapeGetfattr, whiteoutTarName } from './whiteouts';

const base = mkdtempSync(path.join(os.tmpdir(), 'wharf-whiteouts-'));
after(() => rmSync(base, { recursive: true, force: true }));

test('tar whiteout names, both ways', () => {
  assert.equal(whiteoutTarName('gone'), '.wh.gone');
  assert.equal(whiteoutTarName('etc/nsswitch.conf'), 'etc/.wh.nsswitch.conf');
  assert.equal(opaqueTarName('var/cache'), 'var/cache/.wh..wh..opq');
  assert.deepEqual(parseTarWhiteout('etc/.wh.nsswitch.conf'), { kind: 'whiteout', target: 'etc/nsswitch.conf' });
  assert.deepEqual(parseTarWhiteout('./.wh.gone'), { kind: 'whiteout', target: 'gone' });
  assert.deepEqual(parseTarWhiteout('var/cache/.wh..wh..opq'), { kind: 'opaque', dir: 'var/cache' });
  assert.equal(parseTarWhiteout('etc/passwd'), undefined);
  assert.equal(parseTarWhiteout('.wh.'), undefined);
});

test("getfattr's escapes are undone", () => {
  assert.equal(unescapeGetfattr('/a\\040b/c\\\\d'), '/a b/c\\d');
});

async function tarNames(stream: NodeJS.ReadableStream): Promise<string[]> {
  const ex = tar.extract();
  stream.pipe(ex as unknown as NodeJS.WritableStream);
  const names: string[] = [];
  for await (const e of ex) {
    names.push(e.header.name);
    e.resume();
  }
  return names;
}

test('an upper dir becomes a layer tar with .wh. whiteouts, and back into overlay whiteouts', async () => {
  const upper = path.join(base, 'upper');
  mkdirSync(path.join(upper, 'd'), { recursive: true });
  mkdirSync(path.join(upper, 'x'), { recursive: true });
  writeFileSync(path.join(upper, 'a'), 'added');
  writeFileSync(path.join(upper, 'd', 'kept'), 'k');
  assert.equal(spawnSync('mknod', [path.join(upper, 'gone'), 'c', '0', '0']).status, 0);
  assert.equal(spawnSync('mknod', [path.join(upper, 'x', 'y'), 'c', '0', '0']).status, 0);
  assert.equal(spawnSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', path.join(upper, 'd')]).status, 0);

  const opaque = await opaqueDirs(upper);
  assert.deepEqual([...opaque], ['d']);
  const fh = await openDir(upper);
  const { stream } = packContents(fh, { overlayWhiteouts: { opaque } });
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  await new Promise((r) => stream.on('end', r));
  await fh.close();
  const layerTar = Buffer.concat(chunks);
  const { Readable } = await import('node:stream');
  assert.deepEqual(await tarNames(Readable.from([layerTar])), ['a', 'd/', 'd/.wh..wh..opq', 'd/kept', '.wh.gone', 'x/', 'x/.wh.y']);

  // Unpacked as a layer: the .wh. files turn back into what overlayfs understands.
  const layer = path.join(base, 'layer');
  mkdirSync(layer);
  writeFileSync(path.join(base, 'layer.tar'), layerTar);
  assert.equal(spawnSync('tar', ['-x', '-f', path.join(base, 'layer.tar'), '-C', layer]).status, 0);
  assert.equal(await tarWhiteoutsToOverlay(layer), 3);
  const gone = lstatSync(path.join(layer, 'gone'));
  assert.ok(gone.isCharacterDevice() && gone.rdev === 0);
  assert.ok(lstatSync(path.join(layer, 'x', 'y')).isCharacterDevice());
  assert.ok(!existsSync(path.join(layer, '.wh.gone')));
  assert.ok(!existsSync(path.join(layer, 'd', '.wh..wh..opq')));
  assert.deepEqual([...(await opaqueDirs(layer))], ['d']);
});
