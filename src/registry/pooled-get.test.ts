import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { pooledGet, UnsupportedFraming, type BlobBody, type LentChunk } from './pooled-get';
import { TimeoutError } from './http';

/** A loopback server answering with handler; closed after fn. */
async function withServer(handler: http.RequestListener, fn: (base: string) => Promise<void>): Promise<void> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

/**
 * Read a body as a slow consumer would: each piece held for a while, at most `hold` at once,
 * and hashed only when it is given back, so a buffer read into while lent changes the digest.
 */
async function readAll(body: BlobBody, o: { hold?: number; delayMs?: number } = {}): Promise<{ digest: string; length: number }> {
  const hash = createHash('sha256');
  let length = 0;
  const out: LentChunk[] = [];
  const giveBack = (p: LentChunk) => {
    hash.update(p.bytes);
    length += p.bytes.length;
    p.release();
  };
  for await (const piece of body) {
    out.push(piece);
    if (out.length >= (o.hold ?? 1)) {
      if (o.delayMs) await new Promise((r) => setTimeout(r, o.delayMs));
      giveBack(out.shift()!);
    }
  }
  for (const p of out) giveBack(p);
  return { digest: hash.digest('hex'), length };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('a Content-Length body arrives whole and in order, in pieces lent from a small pool', async () => {
  const data = randomBytes(9 << 20);
  await withServer(
    (req, res) => {
      assert.equal(req.headers.authorization, 'Bearer t');
      res.writeHead(200, { 'Content-Length': data.length });
      // Written in uneven pieces, so that reads split anywhere.
      let i = 0;
      const more = () => {
        while (i < data.length) {
          const n = 1 + ((i * 7919) % 300_000);
          const ok = res.write(data.subarray(i, i + n));
          i += n;
          if (!ok) return void res.once('drain', more);
        }
        res.end();
      };
      more();
    },
    async (base) => {
      const r = await pooledGet({ url: new URL(`${base}/v2/x/blobs/sha256:1`), headers: { Authorization: 'Bearer t' }, idleTimeoutMs: 5000 });
      assert.equal(r.status, 200);
      // A consumer that keeps 3 pieces and is slow: nothing it holds is read into meanwhile.
      const got = await readAll(r.body, { hold: 3, delayMs: 2 });
      assert.equal(got.length, data.length);
      assert.equal(got.digest, sha(data));
    },
  );
});

test('with four pieces out the socket waits; a release lets it go on', async () => {
  const data = randomBytes(12 << 20);
  await withServer(
    (_req, res) => res.writeHead(200, { 'Content-Length': data.length }).end(data),
    async (base) => {
      const r = await pooledGet({ url: new URL(`${base}/blob`), headers: {}, idleTimeoutMs: 5000 });
      const it = r.body[Symbol.asyncIterator]();
      const held: LentChunk[] = [];
      for (let i = 0; i < 4; i++) held.push((await it.next()).value as LentChunk);
      const fifth = it.next();
      const waited = await Promise.race([fifth.then(() => 'piece'), new Promise((res) => setTimeout(() => res('waiting'), 300))]);
      assert.equal(waited, 'waiting');
      const hash = createHash('sha256');
      for (const p of held) {
        hash.update(p.bytes);
        p.release();
      }
      let next = await fifth;
      while (!next.done) {
        hash.update(next.value.bytes);
        next.value.release();
        next = await it.next();
      }
      assert.equal(hash.digest('hex'), sha(data));
    },
  );
});

test('a redirect or an error status is handed back with its headers and no body', async () => {
  await withServer(
    (req, res) => {
      if (req.url === '/moved') return void res.writeHead(307, { Location: '/elsewhere', 'Content-Length': 0 }).end();
      res.writeHead(401, { 'WWW-Authenticate': 'Bearer realm="x"', 'Content-Length': 2 }).end('{}');
    },
    async (base) => {
      const moved = await pooledGet({ url: new URL(`${base}/moved`), headers: {}, idleTimeoutMs: 5000 });
      assert.equal(moved.status, 307);
      assert.equal(moved.headers.location, '/elsewhere');
      const denied = await pooledGet({ url: new URL(`${base}/blob`), headers: {}, idleTimeoutMs: 5000 });
      assert.equal(denied.status, 401);
      assert.equal(denied.headers['www-authenticate'], 'Bearer realm="x"');
      assert.equal((await readAll(denied.body)).length, 0);
    },
  );
});

test('a chunked body is refused before any of it is handed out (the caller asks node\'s client instead)', async () => {
  await withServer(
    (_req, res) => {
      res.writeHead(200); // no length: node sends it chunked
      res.end(randomBytes(1000));
    },
    async (base) => {
      await assert.rejects(pooledGet({ url: new URL(`${base}/blob`), headers: {}, idleTimeoutMs: 5000 }), UnsupportedFraming);
    },
  );
});

test('a body cut short fails the reader with unexpected EOF; a silent server times out', async () => {
  await withServer(
    (req, res) => {
      if (req.url === '/silent') return; // never answers
      res.writeHead(200, { 'Content-Length': 1 << 20 });
      res.write(randomBytes(1000), () => res.destroy());
    },
    async (base) => {
      const r = await pooledGet({ url: new URL(`${base}/short`), headers: {}, idleTimeoutMs: 5000 });
      await assert.rejects(readAll(r.body), /unexpected EOF \(got 1000 of 1048576 bytes\)/);
      await assert.rejects(pooledGet({ url: new URL(`${base}/silent`), headers: {}, idleTimeoutMs: 300 }), TimeoutError);
    },
  );
});

test('a refused connection rejects', async () => {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise((r) => server.close(r));
  await assert.rejects(pooledGet({ url: new URL(`http://127.0.0.1:${port}/blob`), headers: {}, idleTimeoutMs: 5000 }), /ECONNREFUSED/);
});

test('over TLS: an unchecked certificate for an insecure registry, and a refusal of one that does not verify', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-test-pooled-'));
  try {
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    const data = randomBytes(3 << 20);
    const server = https.createServer({ key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) }, (_req, res) => res.writeHead(200, { 'Content-Length': data.length }).end(data));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = new URL(`https://localhost:${(server.address() as AddressInfo).port}/blob`);
      const r = await pooledGet({ url, headers: {}, idleTimeoutMs: 5000, insecureTls: true });
      assert.equal((await readAll(r.body, { hold: 2 })).digest, sha(data));
      await assert.rejects(pooledGet({ url, headers: {}, idleTimeoutMs: 5000 }), /self[- ]signed/i);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
