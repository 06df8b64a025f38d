import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import * as tar from 'tar-stream';
import { openDir } from './scoped-fs';
import { extractInto, memberPath } from './tar-extract';

const base = mkdtempSync(path.join(os.tmpdir(), 'wharf-extract-'));
const root = path.join(base, 'root');
const outside = path.join(base, 'outside');
let fh: Awaited<ReturnType<typeof openDir>>;

before(async () => {
  mkdirSync(path.join(root, 'tmp'), { recursive: true });
  mkdirSync(path.join(root, 'dir'), { recursive: true });
  mkdirSync(outside);
  symlinkSync('/', path.join(root, 'escape'));
  symlinkSync(outside, path.join(root, 'out'));
  writeFileSync(path.join(root, 'tmp', 'file'), 'old');
  fh = await openDir(root);
});
after(async () => {
  await fh.close();
  rmSync(base, { recursive: true, force: true });
});

type Entry = { name: string; type?: 'file' | 'directory' | 'symlink' | 'link'; body?: string; linkname?: string; mode?: number; uid?: number };
async function tarOf(entries: Entry[]): Promise<Readable> {
  const pack = tar.pack();
  for (const e of entries) {
    const type = e.type ?? 'file';
    await new Promise<void>((res, rej) =>
      type === 'file'
        ? pack.entry({ name: e.name, type, mode: e.mode ?? 0o644, uid: e.uid ?? 0 }, e.body ?? '', (err) => (err ? rej(err) : res()))
        : pack.entry({ name: e.name, type, mode: e.mode ?? 0o755, linkname: e.linkname, uid: e.uid ?? 0 }, (err) => (err ? rej(err) : res())),
    );
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
  return Readable.from([Buffer.concat(chunks)]);
}

test('member names: absolute is relative to the destination, climbing out is refused', () => {
  assert.equal(memberPath('a/b/'), 'a/b');
  assert.equal(memberPath('/etc/x'), 'etc/x');
  assert.equal(memberPath('./'), '');
  assert.throws(() => memberPath('../x'), /outside of the extraction directory/);
  assert.throws(() => memberPath('a/../../x'), /outside of the extraction directory/);
});

test('files, dirs and links land inside the root; ownership is what the caller says', async () => {
  await extractInto(fh, '/tmp', await tarOf([
    { name: 'd/', type: 'directory', mode: 0o750 },
    { name: 'd/f', body: 'hello', mode: 0o640, uid: 1234 },
    { name: 'd/l', type: 'symlink', linkname: '/etc/shadow' },
    { name: 'd/h', type: 'link', linkname: 'd/f' },
  ]), { noOverwriteDirNonDir: true, chown: { uid: 0, gid: 0 } });
  assert.equal(readFileSync(path.join(root, 'tmp/d/f'), 'utf8'), 'hello');
  assert.equal(lstatSync(path.join(root, 'tmp/d/f')).mode & 0o777, 0o640);
  assert.equal(lstatSync(path.join(root, 'tmp/d/f')).uid, 0);
  assert.equal(lstatSync(path.join(root, 'tmp/d')).mode & 0o777, 0o750);
  assert.equal(readlinkSync(path.join(root, 'tmp/d/l')), '/etc/shadow');
  assert.equal(lstatSync(path.join(root, 'tmp/d/h')).ino, lstatSync(path.join(root, 'tmp/d/f')).ino);
});

test('symlinks in the way are followed inside the root only; members are never written through a link', async () => {
  const name = `wharf-extract-probe-${process.pid}`;
  await extractInto(fh, '/', await tarOf([
    { name: `escape/tmp/${name}`, body: 'via escape' },
    { name: 'out/pwned', body: 'via out' },
    // a link made by the archive, then a member through it
    { name: 'evil', type: 'symlink', linkname: outside },
    { name: 'evil/pwned2', body: 'via evil' },
  ]), { noOverwriteDirNonDir: true });
  assert.equal(readFileSync(path.join(root, 'tmp', name), 'utf8'), 'via escape');
  assert.ok(!existsSync(path.join('/tmp', name)));
  assert.equal(readFileSync(path.join(root, outside, 'pwned'), 'utf8'), 'via out');
  assert.equal(readFileSync(path.join(root, outside, 'pwned2'), 'utf8'), 'via evil');
  assert.ok(!existsSync(path.join(outside, 'pwned')) && !existsSync(path.join(outside, 'pwned2')));
  // A member named like an existing link replaces the link, it does not write through it.
  symlinkSync(path.join(outside, 'target'), path.join(root, 'tmp', 'lnk'));
  await extractInto(fh, '/tmp', await tarOf([{ name: 'lnk', body: 'replaced' }]), { noOverwriteDirNonDir: true });
  assert.ok(!existsSync(path.join(outside, 'target')));
  assert.equal(readFileSync(path.join(root, 'tmp', 'lnk'), 'utf8'), 'replaced');
});

test('"../" members are refused; noOverwriteDirNonDir keeps directories and files apart', async () => {
  await assert.rejects(extractInto(fh, '/tmp', await tarOf([{ name: '../../x', body: 'x' }]), { noOverwriteDirNonDir: true }), /outside of the extraction directory/);
  await assert.rejects(extractInto(fh, '/', await tarOf([{ name: 'dir', body: 'x' }]), { noOverwriteDirNonDir: true }), /cannot overwrite directory "\/dir" with non-directory/);
  await assert.rejects(extractInto(fh, '/', await tarOf([{ name: 'tmp/file/', type: 'directory' }]), { noOverwriteDirNonDir: true }), /cannot overwrite non-directory "\/tmp\/file" with directory/);
  await extractInto(fh, '/', await tarOf([{ name: 'tmp/file/', type: 'directory' }]), { noOverwriteDirNonDir: false });
  assert.ok(lstatSync(path.join(root, 'tmp/file')).isDirectory());
});
