import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { openDir } from '../storage/scoped-fs';
import { copyInto, type CopySpec, destPath, goGlob, releaseSources, resolveSources, sourcesChecksum } from './copy';

const base = mkdtempSync(path.join(os.tmpdir(), 'wharf-copy-'));
after(() => rmSync(base, { recursive: true, force: true }));
let n = 0;

/** A build context: files, a directory with a symlink, and symlinks that point out of it. */
function makeContext(): string {
  const ctx = path.join(base, `ctx${n++}`);
  mkdirSync(path.join(ctx, 'dir/sub'), { recursive: true });
  writeFileSync(path.join(ctx, 'a.txt'), 'a\n');
  writeFileSync(path.join(ctx, 'b.txt'), 'b\n');
  writeFileSync(path.join(ctx, 'dir/f'), 'f\n');
  writeFileSync(path.join(ctx, 'dir/sub/s'), 's\n');
  chmodSync(path.join(ctx, 'dir'), 0o700);
  chmodSync(path.join(ctx, 'dir/sub'), 0o750);
  chmodSync(path.join(ctx, 'dir/f'), 0o741);
  symlinkSync('f', path.join(ctx, 'dir/lf'));
  symlinkSync(path.join(base, 'secret'), path.join(ctx, 'outlink')); // absolute, to a host file
  symlinkSync('../../../a.txt', path.join(ctx, 'uplink')); // climbs: clamped to the context root
  symlinkSync('dir', path.join(ctx, 'dirlink'));
  return ctx;
}
writeFileSync(path.join(base, 'secret'), 'host secret');

/** A stand-in rootfs: /etc with passwd and group, a file, and symlinks out of it. */
function makeRootfs(): string {
  const root = path.join(base, `root${n++}`);
  mkdirSync(path.join(root, 'etc'), { recursive: true });
  mkdirSync(path.join(root, 'exists'));
  writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1::/:/bin/false\n');
  writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\ndaemon:x:1:\nnogroup:x:65534:\n');
  writeFileSync(path.join(root, 'file'), 'orig');
  symlinkSync(path.join(base, 'hostetc'), path.join(root, 'hostlink')); // the host's "/etc" as the image sees it
  symlinkSync('/etc', path.join(root, 'etclink'));
  symlinkSync('/etc/new', path.join(root, 'flink'));
  return root;
}
mkdirSync(path.join(base, 'hostetc'));

const spec = (sources: string[], dest: string, more: Partial<CopySpec> = {}): CopySpec => ({ sources, dest, workdir: '/w', add: false, ...more });

async function copy(ctx: string, root: string, s: CopySpec): Promise<void> {
  const fh: FileHandle = await openDir(root);
  try {
    const r = await resolveSources(ctx, s);
    await copyInto(fh, ctx, s, r);
    await releaseSources(r);
  } finally {
    await fh.close();
  }
}

const mode = (p: string) => lstatSync(p).mode & 0o7777;
const owner = (p: string) => `${lstatSync(p).uid}:${lstatSync(p).gid}`;

test('files: relative to WORKDIR, into an existing directory, into dest/ , parents made 0755', async () => {
  const ctx = makeContext();
  const root = makeRootfs();
  await copy(ctx, root, spec(['a.txt'], 'rel'));
  assert.equal(readFileSync(path.join(root, 'w/rel'), 'utf8'), 'a\n');
  await copy(ctx, root, spec(['a.txt'], '/exists'));
  assert.equal(readFileSync(path.join(root, 'exists/a.txt'), 'utf8'), 'a\n');
  await copy(ctx, root, spec(['./b.txt'], '/new/deep/'));
  assert.equal(readFileSync(path.join(root, 'new/deep/b.txt'), 'utf8'), 'b\n');
  assert.equal(mode(path.join(root, 'new')), 0o755);
  await copy(ctx, root, spec(['b.txt'], '/file'));
  assert.equal(readFileSync(path.join(root, 'file'), 'utf8'), 'b\n', 'an existing file is replaced');
  assert.equal(owner(path.join(root, 'file')), '0:0');
});

test('directories: the contents are copied, symlinks stay symlinks, modes kept, a new dest is 0755', async () => {
  const ctx = makeContext();
  const root = makeRootfs();
  await copy(ctx, root, spec(['dir'], '/newdir'));
  assert.equal(mode(path.join(root, 'newdir')), 0o755);
  assert.equal(mode(path.join(root, 'newdir/f')), 0o741);
  assert.equal(mode(path.join(root, 'newdir/sub')), 0o750);
  assert.equal(readlinkSync(path.join(root, 'newdir/lf')), 'f');
  assert.ok(!existsSync(path.join(root, 'newdir/dir')));
  await copy(ctx, root, spec(['dirlink'], '/dl'), );
  assert.equal(readFileSync(path.join(root, 'dl/sub/s'), 'utf8'), 's\n', 'a symlinked source directory is followed inside the context');
});

test('--chown: names from the image, a lone user names the group too; new parents of a file are owned too', async () => {
  const ctx = makeContext();
  const root = makeRootfs();
  await copy(ctx, root, spec(['a.txt'], '/o/p/achown', { chown: 'daemon' }));
  assert.equal(owner(path.join(root, 'o')), '1:1');
  assert.equal(owner(path.join(root, 'o/p/achown')), '1:1');
  await copy(ctx, root, spec(['dir'], '/chdir/x', { chown: '1:nogroup' }));
  assert.equal(owner(path.join(root, 'chdir')), '0:0', "a directory copy's new parents stay root's");
  assert.equal(owner(path.join(root, 'chdir/x')), '1:65534');
  assert.equal(owner(path.join(root, 'chdir/x/lf')), '1:65534');
  await assert.rejects(copy(ctx, root, spec(['a.txt'], '/x', { chown: 'nosuch' })), {
    message: 'unable to convert uid/gid chown string to host mapping: can\'t find uid for user nosuch: no such user: nosuch',
  });
  await assert.rejects(copy(ctx, root, spec(['a.txt'], '/x', { chown: 'a:b:c' })), /invalid chown string format: a:b:c/);
});

test('--chmod sets the mode of what is copied', async () => {
  const ctx = makeContext();
  const root = makeRootfs();
  await copy(ctx, root, spec(['a.txt'], '/m/', { chmod: '0750' }));
  assert.equal(mode(path.join(root, 'm/a.txt')), 0o750);
  await copy(ctx, root, spec(['dir'], '/md', { chmod: '700' }));
  assert.equal(mode(path.join(root, 'md/sub/s')), 0o700);
});

test('hostile: image symlinks as dest stay inside the rootfs', async () => {
  const ctx = makeContext();
  const root = makeRootfs();
  await copy(ctx, root, spec(['a.txt'], '/hostlink/'));
  assert.ok(!existsSync(path.join(base, 'hostetc/a.txt')), 'never written through to the host');
  assert.ok(existsSync(path.join(root, base, 'hostetc/a.txt')), 'the link is resolved inside the rootfs');
  await copy(ctx, root, spec(['a.txt'], '/etclink/'));
  assert.equal(readFileSync(path.join(root, 'etc/a.txt'), 'utf8'), 'a\n');
  await copy(ctx, root, spec(['b.txt'], '/flink'));
  assert.equal(readFileSync(path.join(root, 'etc/new'), 'utf8'), 'b\n');
  await copy(ctx, root, spec(['dir'], '/hostlink/d'));
  assert.ok(!existsSync(path.join(base, 'hostetc/d')));
});

test('hostile: sources never read outside the context', async () => {
  const ctx = makeContext();
  const root = makeRootfs();
  await assert.rejects(copy(ctx, root, spec(['outlink'], '/x')), {
    message: 'COPY failed: file not found in build context or excluded by .dockerignore: stat outlink: file does not exist',
  });
  await assert.rejects(copy(ctx, root, spec(['../secret'], '/x')), { message: 'COPY failed: forbidden path outside the build context: ../secret ()' });
  await copy(ctx, root, spec(['uplink'], '/up'));
  assert.equal(readFileSync(path.join(root, 'up'), 'utf8'), 'a\n', 'a climbing symlink is clamped to the context root');
});

test("sources: globs (Go's filepath.Match) and Docker's errors", async () => {
  const ctx = makeContext();
  const root = makeRootfs();
  await copy(ctx, root, spec(['*.txt'], '/glob/'));
  assert.deepEqual(['a.txt', 'b.txt'].map((f) => existsSync(path.join(root, 'glob', f))), [true, true]);
  await copy(ctx, root, spec(['d?r/*'], '/glob2/'));
  assert.equal(readFileSync(path.join(root, 'glob2/s'), 'utf8'), 's\n');
  assert.ok(lstatSync(path.join(root, 'glob2/lf')).isFile(), 'a matched symlink is copied as what it points to');
  await assert.rejects(copy(ctx, root, spec(['nope'], '/x')), {
    message: 'COPY failed: file not found in build context or excluded by .dockerignore: stat nope: file does not exist',
  });
  await assert.rejects(copy(ctx, root, spec(['*.nomatch'], '/x/')), { message: 'COPY failed: no source files were specified' });
  const multi = 'When using COPY with more than one source file, the destination must be a directory and end with a /';
  await assert.rejects(copy(ctx, root, spec(['a.txt', 'b.txt'], '/x')), { message: multi });
  await assert.rejects(copy(ctx, root, spec(['*.txt'], '/x')), { message: multi });
  await assert.rejects(copy(ctx, root, spec(['http://127.0.0.1:9/x'], '/x')), { message: "COPY failed: source can't be a URL for COPY" });
  assert.ok(goGlob('[a-c]?.txt')!.test('ab.txt') && !goGlob('*')!.test('a/b') && goGlob('\\*')!.test('*') && !goGlob('[]'));
  assert.equal(destPath('/w', 'x/'), '/w/x/');
  assert.equal(destPath('', 'x'), '/x');
});

test('checksums: content, mode and names count; mtimes do not', async () => {
  const ctx = makeContext();
  const sum = async (sources: string[]) => sourcesChecksum(ctx, await resolveSources(ctx, spec(sources, '/d/')));
  const file1 = await sum(['a.txt']);
  const dir1 = await sum(['dir']);
  const multi1 = await sum(['a.txt', 'dir']);
  assert.match(file1, /^file:[0-9a-f]{64}$/);
  assert.match(dir1, /^dir:[0-9a-f]{64}$/);
  assert.match(multi1, /^multi:[0-9a-f]{64}$/);
  assert.equal(await sum(['uplink']), file1, "a symlink's sum is its target's (dockerd's)");
  utimesSync(path.join(ctx, 'dir/sub/s'), new Date(1000), new Date(1000));
  assert.equal(await sum(['dir']), dir1, 'mtimes do not count');
  writeFileSync(path.join(ctx, 'dir/sub/s'), 't\n');
  assert.notEqual(await sum(['dir']), dir1, 'one changed byte changes it');
  chmodSync(path.join(ctx, 'a.txt'), 0o600);
  assert.notEqual(await sum(['a.txt']), file1, 'the mode counts');
});

test('ADD: local archives (plain, gzip, bzip2, xz) extracted with their owners; others copied', async () => {
  const ctx = makeContext();
  const root = makeRootfs();
  const src = path.join(base, `tsrc${n++}`);
  mkdirSync(path.join(src, 'in'), { recursive: true });
  writeFileSync(path.join(src, 'in/t'), 't\n');
  execFileSync('tar', ['--owner=1234', '--group=4321', '--numeric-owner', '-C', src, '-cf', path.join(ctx, 'arc.tar'), '.']);
  const plain = readFileSync(path.join(ctx, 'arc.tar'));
  writeFileSync(path.join(ctx, 'arc.tgz'), execFileSync('gzip', ['-c'], { input: plain }));
  writeFileSync(path.join(ctx, 'arc.tbz'), execFileSync('bzip2', ['-c'], { input: plain }));
  writeFileSync(path.join(ctx, 'arc.txz'), execFileSync('xz', ['-c'], { input: plain }));
  writeFileSync(path.join(ctx, 'fake.tar.gz'), 'notatar\n');
  for (const f of ['arc.tar', 'arc.tgz', 'arc.tbz', 'arc.txz']) {
    await copy(ctx, root, spec([f], `/x-${f}`, { add: true, chown: '1:1' }));
    assert.equal(readFileSync(path.join(root, `x-${f}/in/t`), 'utf8'), 't\n');
    assert.equal(owner(path.join(root, `x-${f}/in/t`)), '1234:4321', '--chown does not apply to an extracted archive');
  }
  await copy(ctx, root, spec(['fake.tar.gz'], '/a5/', { add: true }));
  assert.equal(readFileSync(path.join(root, 'a5/fake.tar.gz'), 'utf8'), 'notatar\n');
  await copy(ctx, root, spec(['arc.tar'], '/c/', { add: false }));
  assert.ok(statSync(path.join(root, 'c/arc.tar')).isFile(), 'COPY never extracts');
});

test('ADD: URLs downloaded with mode 0600 and Last-Modified; names; failures as dockerd words them', async () => {
  const ctx = makeContext();
  const root = makeRootfs();
  const server = http.createServer((req, res) => {
    if (req.url === '/t/file.txt') {
      res.setHeader('Last-Modified', 'Sun, 02 Feb 2020 02:02:02 GMT');
      res.end('hi\n');
    } else if (req.url === '/t/') res.end('listing\n');
    else {
      res.statusCode = 404;
      res.end('File not found\n');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await copy(ctx, root, spec([`${url}/t/file.txt`], '/u1/', { add: true }));
    const f = path.join(root, 'u1/file.txt');
    assert.equal(readFileSync(f, 'utf8'), 'hi\n');
    assert.equal(mode(f), 0o600);
    assert.equal(statSync(f).mtime.toISOString(), '2020-02-02T02:02:02.000Z');
    await copy(ctx, root, spec([`${url}/t/`], '/u3', { add: true, chown: '1:1' }));
    assert.equal(owner(path.join(root, 'u3')), '1:1');
    assert.equal(statSync(path.join(root, 'u3')).mtimeMs, 0, 'no Last-Modified: the epoch');
    await assert.rejects(copy(ctx, root, spec([`${url}/t/`], '/x/', { add: true })), {
      message: `ADD failed: cannot determine filename for source ${url}/t/`,
    });
    await assert.rejects(copy(ctx, root, spec([`${url}/nope`], '/x', { add: true })), {
      message: `ADD failed: failed to GET ${url}/nope with status 404 Not Found: File not found`,
    });
    const a = await resolveSources(ctx, spec([`${url}/t/file.txt`], '/x', { add: true }));
    const b = await resolveSources(ctx, spec([`${url}/t/file.txt`], '/x', { add: true }));
    assert.equal(await sourcesChecksum(ctx, a), await sourcesChecksum(ctx, b));
    assert.match(await sourcesChecksum(ctx, a), /^[0-9a-f]{64}$/, "a URL's sum is bare hex, as dockerd shows it");
    await releaseSources([...a, ...b]);
    assert.ok(a[0].kind === 'url' && !existsSync(a[0].file));
  } finally {
    server.close();
  }
});
