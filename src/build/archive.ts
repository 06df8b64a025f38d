import { spawn } from 'node:child_process';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';

/**
 * Archive plumbing shared by the build context (the /build body) and ADD (a local archive):
 * decompression chosen by the stream's first bytes, as Docker's archive.DecompressStream
 * does, and a tar-to-tar rewrite that cleans member names the way dockerd's chrooted untar
 * does.
 */

export type Compression = 'none' | 'gzip' | 'bzip2' | 'xz';

export function compressionOf(magic: Buffer): Compression {
  if (magic.length >= 2 && magic[0] === 0x1f && magic[1] === 0x8b) return 'gzip';
  if (magic.length >= 3 && magic.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (magic.length >= 6 && magic.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  return 'none';
}

/** The first `n` bytes of a stream (fewer at its end) and a stream of all of it, those bytes included. */
export async function peek(source: Readable, n: number): Promise<{ head: Buffer; all: Readable }> {
  const parts: Buffer[] = [];
  let have = 0;
  const it = source[Symbol.asyncIterator]();
  while (have < n) {
    const r = await it.next();
    if (r.done) break;
    const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    parts.push(b);
    have += b.length;
  }
  const head = Buffer.concat(parts);
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value as Buffer;
    }
  }
  const all = Readable.from(rest(), { objectMode: false });
  all.once('close', () => void it.return?.());
  return { head: head.subarray(0, n), all };
}

/** A stream through an external decompressor (xz, bzip2: not in node), killed when the reader goes away. */
function throughTool(cmd: string, input: Readable): Readable {
  const child = spawn(cmd, ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const out = new PassThrough();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  input.on('error', (e) => out.destroy(e));
  child.stdin.on('error', () => undefined); // EPIPE when the tool quit early; its exit status tells
  input.pipe(child.stdin);
  child.stdout.pipe(out, { end: false });
  child.on('error', (e) => out.destroy(e));
  child.on('close', (code) => {
    if (code === 0) out.end();
    else if (!out.destroyed) out.destroy(new Error(`${cmd}: ${stderr.trim() || `exit status ${code}`}`));
  });
  out.once('close', () => {
    input.unpipe(child.stdin);
    input.destroy();
    if (child.exitCode === null) child.kill();
  });
  return out;
}

/** The stream decompressed as its magic bytes say (plain when they match nothing known). */
export async function decompressed(source: Readable): Promise<Readable> {
  const { head, all } = await peek(source, 6);
  switch (compressionOf(head)) {
    case 'gzip': {
      const gunzip = createGunzip();
      all.on('error', (e) => gunzip.destroy(e));
      return all.pipe(gunzip);
    }
    case 'bzip2':
      return throughTool('bzip2', all);
    case 'xz':
      return throughTool('xz', all);
    default:
      return all;
  }
}

/**
 * Where a member lands under the extraction root when the untar runs chrooted there, as
 * dockerd's does: the name is cleaned as an absolute path, so "../x", "/x" and "a/../../x"
 * all become "x" (nothing can climb out). '' is the root itself.
 */
export function chrootedName(name: string): string {
  return path.posix.normalize(`/${name}`).replace(/^\/+/, '').replace(/\/+$/, '');
}

export type HeaderEdit = (h: tar.Header) => tar.Header | undefined;

/**
 * A tar stream rewritten member by member: `edit` returns the new header, or undefined to
 * drop the member. Used to clean names before scoped-fs extraction (extractInto), which then
 * never sees a climbing name.
 */
export function rewriteTar(source: Readable, edit: HeaderEdit): Readable {
  const extract = tar.extract();
  const pack = tar.pack();
  source.on("error", (e) => (extract as unknown as { destroy(e: Error): void }).destroy(e));
  source.pipe(extract as unknown as NodeJS.WritableStream);
  const out = pack as unknown as Readable;
  (async () => {
    for await (const entry of extract) {
      const h = edit({ ...entry.header });
      if (!h) {
        entry.resume();
        continue;
      }
      await new Promise<void>((resolve, reject) => {
        const w = pack.entry(h, (err) => (err ? reject(err) : resolve()));
        if (h.type === 'file' || h.type === 'contiguous-file') entry.pipe(w as unknown as NodeJS.WritableStream);
        else entry.resume(); // a body-less member's sink completes by itself
      });
    }
    pack.finalize();
  })().catch((e: Error) => out.destroy(e));
  out.once('close', () => {
    // A reader that went away stops the whole chain (a packer upstream would otherwise wait for ever).
    (extract as unknown as { destroy(): void }).destroy();
    source.destroy();
  });
  return out;
}

/** Names cleaned as dockerd's chrooted untar cleans them (hard link targets too); pax headers are already folded in. */
export function cleanMemberNames(h: tar.Header): tar.Header | undefined {
  const name = chrootedName(h.name);
  if (name === '') return undefined; // the root itself: its own mode and owner are not the archive's to set
  const out = { ...h, name: h.type === 'directory' ? `${name}/` : name };
  if (h.type === 'link') out.linkname = chrootedName(h.linkname ?? '');
  return out;
}
