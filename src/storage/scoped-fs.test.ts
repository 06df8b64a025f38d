import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { containerAbsPath, goFileMode } from '../engine/containers/container-archive';
import { openDir, PathError, realPathInRoot, resolveInRoot, statAt } from './scoped-fs';

// A container root full of symlinks that point out of it: every resolution must stay inside.
const base = mkdtempSync(path.join(os.tmpdir(), 'wharf-scoped-'));
const root = path.join(base, 'root');
const outside = path.join(base, 'outside'); // a host dir next to the root
let rootFh: Awaited<ReturnType<typeof openDir>>;

before(async () => {
  mkdirSync(path.join(root, 'a/b'), { recursive: true });
  mkdirSync(path.join(root, 'etc'), { recursive: true });
  mkdirSync(path.join(root, 'tmp'), { recursive: true });
  mkdirSync(outside, { recursive: true });
  writeFileSync(path.join(outside, 'secret'), 'host secret');
  writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
  writeFileSync(path.join(root, 'f'), 'file');
  symlinkSync('/', path.join(root, 'escape'));
  symlinkSync('../../../../../..', path.join(root, 'a/b/up'));
  symlinkSync(outside, path.join(root, 'out'));
  symlinkSync(path.join(outside, 'secret'), path.join(root, 'bad'));
  symlinkSync('/etc', path.join(root, 'a/etclink'));
  symlinkSync('loop2', path.join(root, 'loop1'));
  symlinkSync('loop1', path.join(root, 'loop2'));
  rootFh = await openDir(root);
});
after(async () => {
  await rootFh.close();
  rmSync(base, { recursive: true, force: true });
});

test('symlinks are followed inside the root: "/" is the root, ".." stops at it', async () => {
  assert.equal(await realPathInRoot(rootFh, '/escape/etc/passwd'), '/etc/passwd');
  assert.equal(await realPathInRoot(rootFh, '/a/b/up/etc/passwd'), '/etc/passwd');
  assert.equal(await realPathInRoot(rootFh, '/a/etclink/passwd'), '/etc/passwd');
  assert.equal(await realPathInRoot(rootFh, '/../../etc/./passwd'), '/etc/passwd');
  // A link to a host path means that path inside the container (missing there).
  assert.equal(await realPathInRoot(rootFh, '/bad'), `${outside}/secret`);
  assert.equal(await realPathInRoot(rootFh, '/out/secret'), `${outside}/secret`);
});

test('a resolution lands on the root\'s own inodes, never the host\'s', async () => {
  const r = await resolveInRoot(rootFh, '/escape', { followLast: true });
  assert.equal(r.name, '');
  assert.equal((await statAt(r.dir, r.name)).ino, statSync(root).ino);
  await r.release();
  // The link's target does not exist inside the root: not found, whatever the host has there.
  await assert.rejects(resolveInRoot(rootFh, '/bad', { followLast: true }), (e) => e instanceof PathError && e.code === 'ENOENT');
  // Not following the last element: the link itself.
  const link = await resolveInRoot(rootFh, '/bad', { followLast: false });
  assert.ok((await statAt(link.dir, link.name)).isSymbolicLink());
  await link.release();
});

test('loops, files used as directories and missing directories are errors', async () => {
  await assert.rejects(resolveInRoot(rootFh, '/loop1/x', { followLast: true }), (e) => e instanceof PathError && e.code === 'ELOOP');
  await assert.rejects(resolveInRoot(rootFh, '/f/x/y', { followLast: true }), (e) => e instanceof PathError && e.code === 'ENOTDIR');
  await assert.rejects(resolveInRoot(rootFh, '/nope/x/y', { followLast: true }), (e) => e instanceof PathError && e.code === 'ENOENT');
});

test('mkdirs creates missing directories inside the root, even through a link to "/"', async () => {
  const name = `made-${process.pid}`;
  const r = await resolveInRoot(rootFh, `/escape/tmp/${name}/deeper`, { followLast: true, mkdirs: true });
  await r.release();
  assert.ok(existsSync(path.join(root, 'tmp', name, 'deeper')));
  assert.ok(!existsSync(path.join('/tmp', name)));
  const o = await resolveInRoot(rootFh, '/out/new', { followLast: true, mkdirs: true });
  await o.release();
  assert.ok(existsSync(path.join(root, outside, 'new')));
  assert.ok(!existsSync(path.join(outside, 'new')));
});

test('container paths keep the trailing "/" and "/." that docker cp relies on', () => {
  assert.deepEqual(containerAbsPath('tmp/x'), { abs: '/tmp/x', dot: false, slash: false });
  assert.deepEqual(containerAbsPath('/tmp/'), { abs: '/tmp/', dot: false, slash: true });
  assert.deepEqual(containerAbsPath('/tmp/d/.'), { abs: '/tmp/d/.', dot: true, slash: false });
  assert.deepEqual(containerAbsPath('/a/../../b'), { abs: '/b', dot: false, slash: false });
  assert.deepEqual(containerAbsPath('/'), { abs: '/', dot: false, slash: false });
});

test("stat modes are Go's os.FileMode", () => {
  const dir = statSync(root);
  assert.equal(goFileMode(dir), 2 ** 31 + (dir.mode & 0o777));
  const file = statSync(path.join(root, 'f'));
  assert.equal(goFileMode(file), file.mode & 0o777);
});
