import assert from 'node:assert/strict';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { after, test } from 'node:test';
import * as tar from 'tar-stream';
import { packContext } from './context-tar';

const base = mkdtempSync(path.join(os.tmpdir(), 'wharf-ctxtar-'));
after(() => rmSync(base, { recursive: true, force: true }));

interface Seen {
  header: tar.Header;
  body: string;
}

async function members(stream: Readable): Promise<Map<string, Seen>> {
  const extract = tar.extract();
  stream.pipe(extract as unknown as NodeJS.WritableStream);
  const out = new Map<string, Seen>();
  for await (const e of extract) {
    const chunks: Buffer[] = [];
    for await (const c of e) chunks.push(c as Buffer);
    out.set(e.header.name.replace(/\/$/, ''), { header: e.header, body: Buffer.concat(chunks).toString() });
  }
  return out;
}

function makeContext(name: string): string {
  const dir = path.join(base, name);
  mkdirSync(path.join(dir, 'sub'), { recursive: true });
  mkdirSync(path.join(dir, 'ign'), { recursive: true });
  writeFileSync(path.join(dir, 'a'), 'a');
  chmodSync(path.join(dir, 'a'), 0o751);
  writeFileSync(path.join(dir, 'sub/s'), 's');
  writeFileSync(path.join(dir, 'ign/i'), 'i');
  writeFileSync(path.join(dir, 'ign/keep'), 'k');
  writeFileSync(path.join(dir, 'Dockerfile'), 'FROM busybox\n');
  symlinkSync('a', path.join(dir, 'la'));
  linkSync(path.join(dir, 'a'), path.join(dir, 'ha'));
  return dir;
}

test('the CLI filter: .dockerignore with exceptions, never the Dockerfile or .dockerignore; ids 0, modes kept', async () => {
  const dir = makeContext('c1');
  writeFileSync(path.join(dir, '.dockerignore'), 'ign\n!ign/keep\nDockerfile\n.dockerignore\n# comment\n');
  const p = packContext(dir, {});
  assert.equal(p.dockerfileName, 'Dockerfile');
  const m = await members(p.stream);
  assert.deepEqual([...m.keys()].sort(), ['.dockerignore', 'Dockerfile', 'a', 'ha', 'ign/keep', 'la', 'sub', 'sub/s']);
  for (const e of m.values()) {
    assert.equal(e.header.uid, 0);
    assert.equal(e.header.gid, 0);
  }
  assert.equal(m.get('a')!.header.mode, 0o751);
  assert.equal(m.get('la')!.header.type, 'symlink');
  assert.equal(m.get('la')!.header.linkname, 'a');
  assert.equal(m.get('ha')!.header.type, 'link');
  assert.equal(m.get('sub')!.header.type, 'directory');
});

test('a Dockerfile outside the context rides along as .dockerfile.<hex>, and .dockerignore drops it', async () => {
  const dir = makeContext('c2');
  const ext = path.join(base, 'ext.Dockerfile');
  writeFileSync(ext, 'FROM outside\n');
  const p = packContext(dir, { dockerfile: ext });
  assert.match(p.dockerfileName, /^\.dockerfile\.[0-9a-f]{20}$/);
  const m = await members(p.stream);
  assert.equal(m.get(p.dockerfileName)!.body, 'FROM outside\n');
  assert.equal(m.get(p.dockerfileName)!.header.mode, 0o600);
  assert.equal(m.get('.dockerignore')!.body, `.dockerignore\n${p.dockerfileName}\n`);

  writeFileSync(path.join(dir, '.dockerignore'), 'ign');
  const q = packContext(dir, { dockerfile: ext });
  const n = await members(q.stream);
  assert.equal(n.get('.dockerignore')!.body, `ign\n${q.dockerfileName}\n`);
  assert.ok(!n.has('ign/i'));
});

test('-f inside the context gives its path there; a missing one fails before sending', async () => {
  const dir = makeContext('c3');
  writeFileSync(path.join(dir, 'sub/Df'), 'FROM x\n');
  writeFileSync(path.join(dir, '.dockerignore'), 'sub\n');
  const p = packContext(dir, { dockerfile: path.join(dir, 'sub/Df') });
  assert.equal(p.dockerfileName, 'sub/Df');
  const m = await members(p.stream);
  assert.ok(m.has('sub/Df') && !m.has('sub/s'), 'the Dockerfile is kept even inside an excluded directory');
  assert.throws(() => packContext(dir, { dockerfile: path.join(dir, 'nope') }), /unable to prepare context/);
});
