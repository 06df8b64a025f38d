import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { after, test } from 'node:test';
import * as tar from 'tar-stream';
import { isGitURL, receiveContext } from './context';

const work = mkdtempSync(path.join(os.tmpdir(), 'wharf-ctx-'));
const outsideMarker = path.join(path.dirname(work), 'up.txt');
after(() => rmSync(work, { recursive: true, force: true }));

type Member = Partial<tar.Header> & { name: string; body?: string };

/** A tar of hand-made members (names as given: hostile ones included). */
export async function makeTar(members: Member[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const m of members) {
    const { body, ...h } = m;
    await new Promise<void>((resolve, reject) => {
      const cb = (e?: Error | null) => (e ? reject(e) : resolve());
      if (body !== undefined) pack.entry({ type: 'file', mode: 0o644, ...h } as tar.Header, Buffer.from(body), cb);
      else pack.entry(h as tar.Header, cb);
    });
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as unknown as Readable) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const DF = 'FROM busybox\nCOPY . /ctx/\n';

test('hostile names are cleaned into the context root (as dockerd chrooted untar); devices dropped', async () => {
  const body = await makeTar([
    { name: 'Dockerfile', body: DF },
    { name: '../up.txt', body: 'up' },
    { name: '/abs.txt', body: 'abs' },
    { name: 'a/../../up2.txt', body: 'up2' },
    { name: 'lnk', type: 'symlink', linkname: '/etc' },
    { name: 'lnk/viasym.txt', body: 'via' },
    { name: 'hl', type: 'link', linkname: '../up.txt' },
    { name: 'dev', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
    { name: 'fifo', type: 'fifo', mode: 0o644 },
  ]);
  const ctx = await receiveContext(work, Readable.from([body]), {});
  try {
    assert.equal(readFileSync(path.join(ctx.dir, 'up.txt'), 'utf8'), 'up');
    assert.equal(readFileSync(path.join(ctx.dir, 'abs.txt'), 'utf8'), 'abs');
    assert.equal(readFileSync(path.join(ctx.dir, 'up2.txt'), 'utf8'), 'up2');
    assert.equal(readlinkSync(path.join(ctx.dir, 'lnk')), '/etc', 'symlinks are kept as they are');
    assert.equal(readFileSync(path.join(ctx.dir, 'etc/viasym.txt'), 'utf8'), 'via', 'through the symlink, but inside the context');
    assert.equal(lstatSync(path.join(ctx.dir, 'hl')).ino, lstatSync(path.join(ctx.dir, 'up.txt')).ino);
    assert.ok(!existsSync(path.join(ctx.dir, 'dev')) && !existsSync(path.join(ctx.dir, 'fifo')));
    assert.ok(!existsSync(outsideMarker) && !existsSync('/etc/viasym.txt'));
    assert.equal(ctx.dockerfileText, DF);
  } finally {
    await ctx.cleanup();
  }
  assert.ok(!existsSync(ctx.dir));
});

test('compressed contexts: gzip, bzip2, xz by magic', async () => {
  const plain = await makeTar([{ name: 'Dockerfile', body: DF }]);
  const bodies = [
    gzipSync(plain),
    execFileSync('bzip2', ['-c'], { input: plain }),
    execFileSync('xz', ['-c'], { input: plain }),
  ];
  for (const b of bodies) {
    const ctx = await receiveContext(work, Readable.from([b]), {});
    assert.equal(ctx.dockerfileText, DF);
    await ctx.cleanup();
  }
});

test('a corrupt compressed context fails with the tar error instead of hanging', async () => {
  const plain = await makeTar([{ name: 'Dockerfile', body: DF }]);
  const corrupt = [Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.alloc(600, 0xa5)]), gzipSync(plain).subarray(0, 20), execFileSync('xz', ['-c'], { input: plain }).subarray(0, 40)];
  for (const b of corrupt) {
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      receiveContext(work, Readable.from([b]), {}).then(
        async (ctx) => {
          await ctx.cleanup();
          return 'received';
        },
        (e: Error) => e.message,
      ),
      new Promise<string>((r) => (timer = setTimeout(() => r('hung'), 5000))),
    ]);
    clearTimeout(timer);
    assert.match(outcome, /^Error processing tar file: /);
  }
});

test("Dockerfile lookup: Docker's errors, the lower-case fallback, no escape through symlinks", async () => {
  const cases: [Member[], { dockerfile?: string }, RegExp | string][] = [
    [[{ name: 'x', body: 'x' }], {}, /^Cannot locate specified Dockerfile: Dockerfile$/],
    [[{ name: 'x', body: 'x' }], { dockerfile: 'nope' }, /^Cannot locate specified Dockerfile: nope$/],
    [[{ name: 'x', body: 'x' }], { dockerfile: '../x' }, /^forbidden path outside the build context: \.\.\/x \(\)$/],
    [[{ name: 'Dockerfile', body: '' }], {}, /^the Dockerfile \(Dockerfile\) cannot be empty$/],
    [[{ name: 'Dockerfile', type: 'symlink', linkname: '/etc/passwd' }], {}, /^Cannot locate specified Dockerfile: Dockerfile$/],
    [[{ name: 'Dockerfile', type: 'directory', mode: 0o755 }], {}, /^unexpected error reading Dockerfile: read .*: is a directory$/],
    [[{ name: 'dockerfile', body: DF }], {}, 'dockerfile'],
    [[{ name: 'Dockerfile', type: 'symlink', linkname: '../../real' }, { name: 'real', body: DF }], {}, 'Dockerfile'],
  ];
  for (const [members, q, want] of cases) {
    const p = receiveContext(work, Readable.from([await makeTar(members)]), q);
    if (typeof want === 'string') {
      const ctx = await p;
      assert.equal(ctx.dockerfileName, want);
      assert.equal(ctx.dockerfileText, DF);
      await ctx.cleanup();
    } else {
      await assert.rejects(p, (e: Error & { kind?: string }) => want.test(e.message) && e.kind === 'invalid-argument');
    }
  }
});

test('.dockerignore: the daemon drops only .dockerignore and the Dockerfile when it matches them', async () => {
  const ctx = await receiveContext(
    work,
    Readable.from([
      await makeTar([
        { name: 'sub/Df', body: DF },
        { name: '.dockerignore', body: 'sub\n.dockerignore\nkeep*\n' },
        { name: 'keep.txt', body: 'k' },
      ]),
    ]),
    { dockerfile: 'sub/Df' },
  );
  try {
    assert.ok(!existsSync(path.join(ctx.dir, 'sub/Df')), 'matched by its parent directory pattern');
    assert.ok(!existsSync(path.join(ctx.dir, '.dockerignore')));
    assert.ok(existsSync(path.join(ctx.dir, 'keep.txt')), 'the rest was filtered by the client already');
    assert.equal(ctx.dockerfileText, DF);
  } finally {
    await ctx.cleanup();
  }
});

test('remote: a tarball, a plain-text Dockerfile, a 404, a git URL', async () => {
  const tarball = gzipSync(await makeTar([{ name: 'Dockerfile', body: DF }, { name: 'f', body: 'f' }]));
  const server = http.createServer((req, res) => {
    if (req.url === '/ctx.tgz') res.end(tarball);
    else if (req.url === '/Dockerfile') res.end(DF);
    else {
      res.statusCode = 404;
      res.end('gone\n');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const empty = Readable.from([]);
    const a = await receiveContext(work, empty, { remote: `${base}/ctx.tgz` });
    assert.equal(readFileSync(path.join(a.dir, 'f'), 'utf8'), 'f');
    await a.cleanup();
    const b = await receiveContext(work, Readable.from([]), { remote: `${base}/Dockerfile` });
    assert.equal(b.dockerfileText, DF);
    await b.cleanup();
    await assert.rejects(receiveContext(work, Readable.from([]), { remote: `${base}/nope` }), {
      message: `error downloading remote context ${base}/nope: failed to GET ${base}/nope with status 404 Not Found: gone`,
    });
    await assert.rejects(receiveContext(work, Readable.from([]), { remote: 'https://example.com/r.git' }), /git build contexts are not supported/);
    await assert.rejects(receiveContext(work, Readable.from([]), { remote: 'ftp://x/y' }), { message: 'remoteURL (ftp://x/y) could not be recognized as URL' });
  } finally {
    server.close();
  }
  assert.ok(isGitURL('git@github.com:a/b') && isGitURL('github.com/a/b') && !isGitURL('https://x/y.tar'));
});
