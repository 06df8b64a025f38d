import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import * as tar from 'tar-stream';
import { api, daemonForFile, ping } from './helpers/wharfd';

// Hand-made build contexts posted to /build as a hostile client would: names escaping the
// context, symlinks and hard links to host files, a Dockerfile that is not in the context,
// garbage. Nothing may be written outside the context, no host file may be read into an
// image, and the daemon keeps answering. Messages are dockerd 20.10's (checked with the same
// tars); dockerd answers 500 to a context it cannot read where wharfd answers 400.
const d = daemonForFile();
const ok = (args: string[]) => d.dockerOk(args);

const TOKEN = `TOPSECRET-${randomBytes(8).toString('hex')}`;
let outside = '';
let secret = '';
const sentinel = () => path.join(outside, 'sentinel');
const up = '../../../../../../../../../../../..';

function secretDir(): void {
  if (outside) return;
  outside = path.join(d.dir, 'outside');
  mkdirSync(outside, { recursive: true });
  secret = path.join(outside, 'secret.txt');
  writeFileSync(secret, `${TOKEN}\n`);
}

type Member = [name: string, kind: 'file' | 'symlink' | 'link' | 'directory', data: string | Buffer];

function tarOf(members: Member[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, kind, data] of members) {
    if (kind === 'file') pack.entry({ name, mode: 0o644 }, data);
    else if (kind === 'directory') pack.entry({ name, type: 'directory', mode: 0o755 });
    else pack.entry({ name, type: kind, linkname: String(data) });
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    pack.on('data', (c: unknown) => chunks.push(c as Buffer));
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
}

interface Posted {
  status: number;
  /** The JSON messages of a 200 stream. */
  events: { stream?: string; error?: string; errorDetail?: { message: string }; aux?: { ID: string } }[];
  /** The message of an error answer. */
  message?: string;
}

async function post(body: Buffer, tag: string): Promise<Posted> {
  const r = await api(d.sock, 'POST', `/v1.41/build?t=${tag}&rm=1`, body, { 'Content-Type': 'application/x-tar' });
  if (r.status !== 200) return { status: r.status, events: [], message: JSON.parse(r.body).message };
  return { status: r.status, events: r.body.split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
}

const errorOf = (p: Posted) => p.events.find((e) => e.error)?.error;
const built = (p: Posted) => p.events.some((e) => e.stream?.startsWith('Successfully built'));

test('members named ../x, /abs and deeper escapes land inside the context; nothing is written outside', async () => {
  secretDir();
  const body = await tarOf([
    ['Dockerfile', 'file', 'FROM busybox\nCOPY . /ctx/\n'],
    ['../x', 'file', 'dotdot'],
    ['/abs', 'file', 'absolute'],
    ['a/../../../y', 'file', 'deep'],
    [`${up}${sentinel()}`, 'file', 'escaped'],
    [`${up}${outside}/`, 'directory', ''],
  ]);
  const r = await post(body, 'h-dotdot');
  assert.equal(r.status, 200);
  assert.ok(built(r), JSON.stringify(r.events));
  assert.equal(existsSync(sentinel()), false, 'nothing is written outside the context');
  assert.equal(existsSync('/x') || existsSync('/abs') || existsSync('/y'), false);
  // As dockerd's chrooted untar: the names are taken from the context's root.
  const files = ok(['run', '--rm', 'h-dotdot', 'find', '/ctx', '-type', 'f']).trim().split('\n').sort();
  assert.deepEqual(files, ['/ctx/Dockerfile', '/ctx/abs', `/ctx${sentinel()}`, '/ctx/x', '/ctx/y']);
  assert.equal(ok(['run', '--rm', 'h-dotdot', 'cat', '/ctx/x', '/ctx/abs', '/ctx/y']), 'dotdotabsolutedeep');
});

test('COPY of a symlink out of the context (absolute, relative, through a linked dir): Docker error, no host file read', async () => {
  secretDir();
  const cases: [string, Member[], string][] = [
    ['abs', [['link', 'symlink', secret]], 'COPY link /x'],
    ['rel', [['link', 'symlink', `${up}${secret}`]], 'COPY link /x'],
    ['dir', [['dir', 'symlink', outside]], 'COPY dir/secret.txt /x'],
    ['glob', [['dir', 'symlink', outside]], 'COPY dir/secret.* /x'],
  ];
  for (const [name, members, copy] of cases) {
    const r = await post(await tarOf([['Dockerfile', 'file', `FROM busybox\n${copy}\n`], ...members]), `h-sym-${name}`);
    assert.equal(r.status, 200, name);
    const src = copy.split(' ')[1];
    const expected = name === 'glob' ? 'COPY failed: no source files were specified' : `COPY failed: file not found in build context or excluded by .dockerignore: stat ${src}: file does not exist`;
    assert.equal(errorOf(r), expected, `${name}: ${JSON.stringify(r.events)}`);
    assert.equal(d.docker(['image', 'inspect', `h-sym-${name}`]).code, 1);
  }
});

test('ADD of a symlink to /etc/passwd fails as in Docker; COPY . keeps links as links, never their targets', async () => {
  secretDir();
  const add = await post(await tarOf([['Dockerfile', 'file', 'FROM busybox\nADD pw /pw\n'], ['pw', 'symlink', '/etc/passwd']]), 'h-add-pw');
  assert.equal(errorOf(add), 'ADD failed: file not found in build context or excluded by .dockerignore: stat pw: file does not exist');
  const all = await post(
    await tarOf([
      ['Dockerfile', 'file', 'FROM busybox\nCOPY . /ctx/\n'],
      ['pw', 'symlink', '/etc/passwd'],
      ['link', 'symlink', secret],
      ['dir', 'symlink', outside],
    ]),
    'h-links',
  );
  assert.ok(built(all), JSON.stringify(all.events));
  assert.equal(ok(['run', '--rm', 'h-links', 'sh', '-c', 'for f in pw link dir; do readlink /ctx/$f; done']), `/etc/passwd\n${secret}\n${outside}\n`);
  // /ctx/pw resolves in the container to the image's own passwd.
  assert.match(ok(['run', '--rm', 'h-links', 'cat', '/ctx/pw']), /^root:x:0:0:/);
  assert.notEqual(d.docker(['run', '--rm', 'h-links', 'cat', '/ctx/link']).code, 0);
});

test('a hard link to a host file is refused with the tar error; nothing read', async () => {
  secretDir();
  const r = await post(await tarOf([['Dockerfile', 'file', 'FROM busybox\nCOPY h /x\n'], ['h', 'link', secret]]), 'h-hard');
  assert.equal(r.status, 400);
  // dockerd: "Error processing tar file(exit status 1): link <secret> /h: no such file or directory"
  assert.match(r.message ?? '', /^Error processing tar file.*: no such file or directory$/);
  assert.equal(d.docker(['image', 'inspect', 'h-hard']).code, 1);
});

test('a .dockerignore that excludes the Dockerfile: the build runs, the Dockerfile and .dockerignore are not copied', async () => {
  const r = await post(
    await tarOf([
      ['Dockerfile', 'file', 'FROM busybox\nCOPY . /ctx/\n'],
      ['.dockerignore', 'file', 'Dockerfile\n.dockerignore\nother\n'],
      ['other', 'file', 'o'],
      ['kept', 'file', 'k'],
    ]),
    'h-ignored',
  );
  assert.ok(built(r), JSON.stringify(r.events));
  // The daemon removes only the Dockerfile and .dockerignore (the client filters the rest): as dockerd.
  const files = ok(['run', '--rm', 'h-ignored', 'find', '/ctx', '-type', 'f']).trim().split('\n').sort();
  assert.deepEqual(files, ['/ctx/kept', '/ctx/other']);
});

test('a Dockerfile that is a symlink out of the context, or missing: Cannot locate specified Dockerfile', async () => {
  secretDir();
  writeFileSync(path.join(outside, 'Dockerfile'), 'FROM busybox\nRUN echo from-outside\n');
  for (const [name, members] of [
    ['abs', [['Dockerfile', 'symlink', path.join(outside, 'Dockerfile')]]],
    ['rel', [['Dockerfile', 'symlink', `${up}${outside}/Dockerfile`]]],
    ['dir', [['d', 'symlink', outside]]],
    ['empty', []],
  ] as [string, Member[]][]) {
    const r = await post(await tarOf(members), `h-df-${name}`);
    assert.equal(r.status, 400, name);
    assert.equal(r.message, 'Cannot locate specified Dockerfile: Dockerfile', name);
  }
  const r = await api(d.sock, 'POST', '/v1.41/build?dockerfile=d/Dockerfile', await tarOf([['d', 'symlink', outside]]), { 'Content-Type': 'application/x-tar' });
  assert.equal(r.status, 400);
  assert.equal(JSON.parse(r.body).message, 'Cannot locate specified Dockerfile: d/Dockerfile');
});

test('garbage and truncated bodies: 400 with the tar error; the daemon still answers and left no context behind', async () => {
  const garbage = await api(d.sock, 'POST', '/v1.41/build', Buffer.from('this is not a tar at all\n'.repeat(40)), { 'Content-Type': 'application/x-tar' });
  assert.equal(garbage.status, 400);
  assert.match(JSON.parse(garbage.body).message, /invalid tar header/i); // dockerd: "archive/tar: invalid tar header"
  const whole = await tarOf([['Dockerfile', 'file', 'FROM busybox\nCOPY big /big\n'], ['big', 'file', Buffer.alloc(100_000, 'x')]]);
  const cut = await api(d.sock, 'POST', '/v1.41/build', whole.subarray(0, 1024 + 512 + 5000), { 'Content-Type': 'application/x-tar' });
  assert.equal(cut.status, 400);
  assert.match(JSON.parse(cut.body).message, /^Error processing tar file/); // dockerd: "Error processing tar file(exit status 1): unexpected EOF"
  const gz = await api(d.sock, 'POST', '/v1.41/build', Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), randomBytes(600)]), { 'Content-Type': 'application/x-tar' });
  // (This one hung the request before: the gunzip error never reached the tar reader.)
  assert.equal(gz.status, 400);
  assert.match(JSON.parse(gz.body).message, /^Error processing tar file: /); // dockerd: 500 "flate: corrupt input before offset 9"
  // A file that only looks compressed, ADDed: not an archive, copied as it is (as dockerd).
  const fake = Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.alloc(600, 0xa5)]);
  const add = await post(await tarOf([['Dockerfile', 'file', 'FROM busybox\nADD fake.tar.gz /fake.tar.gz\n'], ['fake.tar.gz', 'file', fake]]), 'h-fake-gz');
  assert.ok(built(add), JSON.stringify(add.events));
  assert.equal(ok(['run', '--rm', 'h-fake-gz', 'wc', '-c', '/fake.tar.gz']).trim(), '604 /fake.tar.gz');
  assert.ok(await ping(d.sock));
  assert.equal(ok(['run', '--rm', 'busybox', 'echo', 'alive']), 'alive\n');
  const r = await post(whole, 'h-after');
  assert.ok(built(r), 'a good build after the bad ones');
});

test('ADD of a local archive with escaping members: extracted under the destination; nothing outside', async () => {
  secretDir();
  const inner = await tarOf([
    [`${up}${sentinel()}-a`, 'file', 'escaped-a'],
    ['/abs-in-archive', 'file', 'abs'],
  ]);
  const r = await post(await tarOf([['Dockerfile', 'file', 'FROM busybox\nADD evil.tar /dst/\n'], ['evil.tar', 'file', inner]]), 'h-add-evil');
  assert.ok(built(r), JSON.stringify(r.events));
  assert.equal(existsSync(`${sentinel()}-a`), false);
  const files = ok(['run', '--rm', 'h-add-evil', 'find', '/dst', '-type', 'f']).trim().split('\n').sort();
  assert.deepEqual(files, ['/dst/abs-in-archive', `/dst${sentinel()}-a`]);
});

// dockerd 20.10 (checked) untars an ADDed archive chrooted in the destination: a member written
// through a symlink of the archive (l -> /opt/target, then l/f) lands in /dst/opt/target/f (and
// fails with "open /l/f: no such file or directory" when /dst/opt/target is missing). Wharf
// wrote /opt/target/f of the image before (outside the destination, not on the host).
test('ADD of an archive that writes through its own symlink stays under the destination', async () => {
  const inner = await tarOf([
    ['opt/target/', 'directory', ''],
    ['l', 'symlink', '/opt/target'],
    ['l/f', 'file', 'through-link'],
  ]);
  const r = await post(await tarOf([['Dockerfile', 'file', 'FROM busybox\nADD evil.tar /dst/\n'], ['evil.tar', 'file', inner]]), 'h-add-link');
  assert.ok(built(r), JSON.stringify(r.events));
  assert.equal(ok(['run', '--rm', 'h-add-link', 'find', '/dst', '-type', 'f']), '/dst/opt/target/f\n');
  assert.notEqual(d.docker(['run', '--rm', 'h-add-link', 'test', '-e', '/opt/target/f']).code, 0);
});

test('no image layer and no file of the daemon holds the secret; no build context is left', () => {
  secretDir();
  const g = spawnSync('grep', ['-rl', '--', TOKEN, d.dataRoot], { encoding: 'utf8' });
  assert.equal(g.stdout, '', `the secret was read into: ${g.stdout}`);
  const builds = path.join(d.dataRoot, 'builds');
  assert.deepEqual(existsSync(builds) ? readdirSync(builds) : [], [], 'every received context is removed');
});
