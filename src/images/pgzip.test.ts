import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { parallelGzip } from './pgzip';

async function collect(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}
const chunked = (b: Buffer, size: number) => Readable.from(Array.from({ length: Math.ceil(b.length / size) }, (_, i) => b.subarray(i * size, (i + 1) * size)));

test('parallelGzip: what gunzip reads back is the input, whatever the block and chunk sizes', async () => {
  const input = Buffer.concat([randomBytes(300_000), Buffer.alloc(200_000, 'a')]);
  for (const [block, chunk] of [[65_536, 1000], [100_000, 333_333], [1 << 20, 4096], [7, 100_000]]) {
    const out = await collect(parallelGzip(chunked(input, chunk), { blockSize: block, concurrency: 3 }));
    assert.ok(gunzipSync(out).equals(input), `block ${block}, chunk ${chunk}`);
  }
});

test('parallelGzip: the same input gives the same bytes (a stable layer digest); empty input is a valid empty gzip', async () => {
  const input = randomBytes(250_000);
  const a = await collect(parallelGzip(chunked(input, 10_000), { blockSize: 65_536 }));
  const b = await collect(parallelGzip(chunked(input, 77_777), { blockSize: 65_536 }));
  assert.ok(a.equals(b));
  const empty = await collect(parallelGzip(Readable.from([]), {}));
  assert.equal(gunzipSync(empty).length, 0);
});

test('parallelGzip: an error of the source ends the stream with it', async () => {
  async function* failing() {
    yield randomBytes(1000);
    throw new Error('disk gone');
  }
  await assert.rejects(collect(parallelGzip(failing(), { blockSize: 100 })), /disk gone/);
});
