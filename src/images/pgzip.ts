import os from 'node:os';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

/**
 * gzip on several threads: the input is cut into blocks, each compressed on its own in
 * libuv's thread pool, the results written in order as one multi-member gzip stream (as
 * pigz and Go's pgzip do). Every gzip reader reads it (members are concatenated, RFC 1952),
 * and the same bytes always give the same output, so a layer keeps its digest from push to push.
 */
export function parallelGzip(source: AsyncIterable<Buffer>, o: { blockSize?: number; concurrency?: number } = {}): Readable {
  const blockSize = o.blockSize ?? 4 << 20;
  const concurrency = o.concurrency ?? Math.min(4, Math.max(2, os.availableParallelism()));
  async function* members(): AsyncGenerator<Buffer> {
    const pending: Promise<Buffer>[] = [];
    const start = (b: Buffer) => {
      // 1 MiB output chunks: far fewer trips through the thread pool than the default 16 KiB.
      const p = gzipAsync(b, { chunkSize: 1 << 20 });
      p.catch(() => undefined); // awaited in order below; a rejection is not "unhandled" meanwhile
      pending.push(p);
    };
    let parts: Buffer[] = [];
    let held = 0;
    let any = false;
    for await (const chunk of source) {
      parts.push(chunk);
      held += chunk.length;
      while (held >= blockSize) {
        const all = parts.length === 1 ? parts[0] : Buffer.concat(parts);
        start(all.subarray(0, blockSize));
        any = true;
        parts = held > blockSize ? [all.subarray(blockSize)] : [];
        held -= blockSize;
        while (pending.length >= concurrency) yield await pending.shift()!;
      }
    }
    if (held > 0 || !any) start(Buffer.concat(parts));
    while (pending.length) yield await pending.shift()!;
  }
  return Readable.from(members(), { objectMode: false });
}
