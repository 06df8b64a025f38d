import { createHash } from 'node:crypto';
import { constants as C, promises as fsp } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { TarScanner, type ByteKind, type TarEntry } from './tar-scan';

// A layer is stored once, unpacked. What it takes to give back the exact tar it came from
// (docker save, docker push: the same bytes, so the same diff id, every time) is kept beside
// it as a tar-split index, as Docker does: every byte of the tar that is not a regular
// file's content (header blocks with their PAX and GNU long-name records, padding, the
// trailer), raw and in order, and for each file's content the path it was unpacked to.
// Contents the unpacked tree cannot give back (a GNU sparse file, data on a link or a device,
// a file under a symlink of the same tar, a file a later entry replaced or whited out) are
// kept in a stash file beside the index.

/** A piece of the tar: raw bytes, a file's content read from the tree, or bytes from the stash. */
export type Segment = { raw: Buffer } | { file: string; size: number } | { stash: number; size: number };

export interface TarSplitIndex {
  diffId: string;
  size: number;
  segments: Segment[];
  /** Bytes in the stash file. */
  stashSize: number;
}

export class LayerDamagedError extends Error {}

const MAGIC = 'wharf-tar-split/1\n';

/**
 * Where a member's content lands in the tree GNU tar unpacks (it strips leading "/" and
 * "./"); undefined for a name it would not put there as such ("..").
 */
export function treePath(name: string): string | undefined {
  const clean = path.posix.normalize(name.replace(/^\/+/, ''));
  if (clean === '.' || clean === '..' || clean.startsWith('../') || clean.includes('/../')) return undefined;
  return clean.replace(/\/+$/, '');
}

/** A place the splitter writes what the tree cannot give back; its offsets are byte offsets in it. */
export interface Stash {
  append(b: Buffer): Promise<void> | void;
}

/**
 * Builds a tar-split index from the bytes of a layer tar as they pass. `conflict` is called
 * (before the bytes of the entry that causes it are passed on) when an earlier file's
 * content is about to be replaced in the tree: it must return that content as the tree has
 * it now, or undefined if it cannot (then `complete` is false and the index must not be used).
 */
/**
 * Where a big plain file's content may go instead of through the unpacking tar: a file this
 * process writes itself, put in place once the tar has made the (empty) file.
 */
export interface DirectFiles {
  /** Files at least this big go direct. */
  min: number;
  /** A direct file begins (false: not this one). */
  open(rel: string, size: number): Promise<boolean>;
  write(b: Buffer): Promise<void>;
  close(): Promise<void>;
  /** A hard link of the tar, to a name that may be a direct file. */
  link(target: string, name: string): void;
}

export class TarSplitter {
  private scanner: TarScanner;
  private segments: Segment[] = [];
  private raw: Buffer[] = [];
  private rawLen = 0;
  private stashSize = 0;
  /** Files whose content comes from the tree: path → segment index. */
  private content = new Map<string, number>();
  private symlinks = new Set<string>();
  private queue: ({ kind: ByteKind; b: Buffer; e?: TarEntry } | { entry: TarEntry })[] = [];
  /** The current entry: its path, where its data goes, whether its file segment is written. */
  private current?: string;
  private toStash = true;
  private segPending = false;
  /** The current entry goes direct: its header is yet to be passed on (true), its data bytes left. */
  private direct?: { header: boolean; left: number };
  private carry?: Buffer;
  complete = true;

  constructor(private stash: Stash, private conflict: (rel: string, size: number) => Promise<Buffer | undefined>, private directFiles?: DirectFiles) {
    this.scanner = new TarScanner({
      entry: (e) => this.queue.push({ entry: e }),
      bytes: (kind, b, e) => this.queue.push({ kind, b, e }),
    });
  }

  /**
   * The next chunk of the tar; `forward` gets the same bytes in order (to the unpacking),
   * held back only while an earlier file's content is saved before an entry replaces it. A
   * big plain file's content goes to `directFiles` instead (written by this process straight
   * to a file), the unpacking getting its header with size 0; the bytes of a header block
   * split between chunks are passed on once the block is whole.
   */
  async write(chunk: Buffer, forward: (b: Buffer[]) => Promise<void> | void): Promise<void> {
    const carry = this.carry;
    this.scanner.write(chunk);
    const held = this.scanner.held;
    // The held tail of carry + chunk: a header block can stay unfinished across several small chunks.
    this.carry = !held ? undefined : held <= chunk.length ? Buffer.from(chunk.subarray(chunk.length - held)) : Buffer.concat([carry!.subarray(carry!.length - (held - chunk.length)), chunk]);
    const queue = this.queue;
    this.queue = [];
    // Positions are in carry + chunk: what this call passes on (the held tail excepted).
    const c = carry?.length ?? 0;
    const total = c + chunk.length - held;
    const slice = (from: number, to: number): Buffer[] => {
      const out: Buffer[] = [];
      if (carry && from < c) out.push(carry.subarray(from, Math.min(to, c)));
      if (to > c) out.push(chunk.subarray(Math.max(from, c) - c, to - c));
      return out;
    };
    let done = 0; // passed on (or dropped) up to here
    let pos = 0;
    const flush = async (to: number) => {
      if (to > done) await forward(slice(done, to));
      done = Math.max(done, to);
    };
    for (const piece of queue) {
      if ('entry' in piece) {
        const e = piece.entry;
        const hit = this.replaced(e);
        if (hit.length) {
          // Everything before this entry's header reaches the unpacking first.
          await flush(pos);
          for (const i of hit) await this.saveReplaced(i);
        }
        await this.classify(e);
        continue;
      }
      const { kind, b, e } = piece;
      const d = this.direct;
      if (d && kind === 'header' && d.header && b.length === 512) {
        // The entry's own header block (no PAX or long-name record comes before it): passed on with size 0.
        await flush(pos);
        await forward([zeroSizeHeader(b)]);
        done = pos + b.length;
        d.header = false;
      } else if (d && !d.header && (kind === 'data' || kind === 'padding')) {
        await flush(pos);
        done = pos + b.length;
        if (kind === 'data') {
          await this.directFiles!.write(b);
          d.left -= b.length;
          if (d.left === 0) await this.directFiles!.close();
        }
      }
      this.take(kind, b, e);
      pos += b.length;
    }
    await flush(total);
  }

  end(): void {
    this.scanner.end();
  }

  finish(diffId: string, size: number): TarSplitIndex {
    this.flushRaw();
    return { diffId, size, segments: this.segments, stashSize: this.stashSize };
  }

  /** Segments of earlier files whose tree content entry e removes or replaces. */
  private replaced(e: TarEntry): number[] {
    const rel = treePath(e.name);
    if (rel === undefined || !this.content.size) return [];
    const out: number[] = [];
    const same = this.content.get(rel);
    if (same !== undefined) out.push(same);
    const base = path.posix.basename(rel);
    if (base.startsWith('.wh.') && base !== '.wh..wh..opq') {
      const dir = path.posix.dirname(rel);
      const target = dir === '.' ? base.slice(4) : `${dir}/${base.slice(4)}`;
      for (const [p, i] of this.content) if (p === target || p.startsWith(`${target}/`)) out.push(i);
    }
    for (const i of out) for (const [p, j] of this.content) if (j === i) this.content.delete(p);
    return out;
  }

  private async saveReplaced(i: number): Promise<void> {
    const seg = this.segments[i] as { file: string; size: number };
    const bytes = this.complete ? await this.conflict(seg.file, seg.size) : undefined;
    if (!bytes || bytes.length !== seg.size) {
      this.complete = false;
      return;
    }
    await this.stash.append(bytes);
    this.segments[i] = { stash: this.stashSize, size: seg.size };
    this.stashSize += seg.size;
  }

  /** Where e's data will come from: the tree (a plain file the tree keeps as it is) or the stash. */
  private async classify(e: TarEntry): Promise<void> {
    const rel = treePath(e.name);
    if (e.type === '2' && rel !== undefined) this.symlinks.add(rel);
    if (e.type === '1' && rel !== undefined) {
      const target = treePath(e.linkname);
      if (target !== undefined) this.directFiles?.link(target, rel);
    }
    const plain = (e.type === '0' || e.type === '7') && !e.sparse && rel !== undefined && !e.name.endsWith('/') && !path.posix.basename(rel).startsWith('.wh.') && !this.underSymlink(rel);
    this.current = rel;
    this.toStash = !plain;
    this.segPending = plain && e.size > 0;
    this.direct = undefined;
    if (plain && this.directFiles && e.offset === e.headerAt && e.size >= this.directFiles.min && (await this.directFiles.open(rel!, e.size))) {
      this.direct = { header: true, left: e.size };
    }
  }

  private underSymlink(rel: string): boolean {
    if (!this.symlinks.size) return false;
    for (let i = rel.indexOf('/'); i > 0; i = rel.indexOf('/', i + 1)) if (this.symlinks.has(rel.slice(0, i))) return true;
    return false;
  }

  private take(kind: ByteKind, b: Buffer, e?: TarEntry): void {
    if (kind === 'data') {
      if (this.segPending) {
        this.flushRaw();
        this.content.set(this.current!, this.segments.length);
        this.segments.push({ file: this.current!, size: e!.size });
        this.segPending = false;
      }
      if (!this.toStash) return; // read back from the tree
      this.flushRaw();
      const last = this.segments[this.segments.length - 1];
      if (last && 'stash' in last && last.stash + last.size === this.stashSize) last.size += b.length;
      else this.segments.push({ stash: this.stashSize, size: b.length });
      this.stashSize += b.length;
      void this.stash.append(Buffer.from(b));
      return;
    }
    this.raw.push(Buffer.from(b));
    this.rawLen += b.length;
  }

  private flushRaw(): void {
    if (!this.rawLen) return;
    this.segments.push({ raw: Buffer.concat(this.raw, this.rawLen) });
    this.raw = [];
    this.rawLen = 0;
  }
}

/** A copy of a header block that says size 0 (its checksum made again). */
export function zeroSizeHeader(h: Buffer): Buffer {
  const out = Buffer.from(h);
  out.write('00000000000\0', 124, 12, 'latin1');
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : out[i];
  out.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return out;
}

/** The index as a file: gzip of a small binary record stream. */
export function encodeIndex(x: TarSplitIndex): Buffer {
  const parts: Buffer[] = [Buffer.from(MAGIC), Buffer.from(`${JSON.stringify({ diffId: x.diffId, size: x.size, stashSize: x.stashSize })}\n`)];
  for (const s of x.segments) {
    if ('raw' in s) {
      const h = Buffer.alloc(5);
      h[0] = 1;
      h.writeUInt32BE(s.raw.length, 1);
      parts.push(h, s.raw);
    } else if ('file' in s) {
      const name = Buffer.from(s.file);
      const h = Buffer.alloc(13);
      h[0] = 2;
      h.writeDoubleBE(s.size, 1);
      h.writeUInt32BE(name.length, 9);
      parts.push(h, name);
    } else {
      const h = Buffer.alloc(17);
      h[0] = 3;
      h.writeDoubleBE(s.stash, 1);
      h.writeDoubleBE(s.size, 9);
      parts.push(h);
    }
  }
  return gzipSync(Buffer.concat(parts), { level: 1 });
}

export function decodeIndex(gz: Buffer): TarSplitIndex {
  const b = gunzipSync(gz);
  if (b.toString('latin1', 0, MAGIC.length) !== MAGIC) throw new Error('not a tar-split index');
  const nl = b.indexOf(0x0a, MAGIC.length);
  const meta = JSON.parse(b.toString('utf8', MAGIC.length, nl)) as { diffId: string; size: number; stashSize: number };
  const segments: Segment[] = [];
  let i = nl + 1;
  while (i < b.length) {
    const k = b[i];
    if (k === 1) {
      const n = b.readUInt32BE(i + 1);
      segments.push({ raw: b.subarray(i + 5, i + 5 + n) });
      i += 5 + n;
    } else if (k === 2) {
      const size = b.readDoubleBE(i + 1);
      const n = b.readUInt32BE(i + 9);
      segments.push({ file: b.toString('utf8', i + 13, i + 13 + n), size });
      i += 13 + n;
    } else if (k === 3) {
      segments.push({ stash: b.readDoubleBE(i + 1), size: b.readDoubleBE(i + 9) });
      i += 17;
    } else throw new Error('damaged tar-split index');
  }
  return { ...meta, segments };
}

const CHUNK = 1 << 20;

/**
 * The layer's tar again, from its index, its unpacked tree and its stash; hashed on the way,
 * and a stream whose digest is not the diff id fails at its end (before its last bytes), so a
 * changed tree is reported as damage, never pushed under a wrong digest.
 */
export async function* regenerate(x: TarSplitIndex, tree: string, stashFile?: string): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  let total = 0;
  let held: Buffer | undefined; // the last piece is given out only once the digest is checked
  const out = function* (b: Buffer): Generator<Buffer> {
    hash.update(b);
    total += b.length;
    if (held) yield held;
    held = b;
  };
  const stash = x.stashSize ? await fsp.open(stashFile!, 'r') : undefined;
  try {
    for (const s of x.segments) {
      if ('raw' in s) {
        yield* out(s.raw);
      } else if ('file' in s) {
        let fh;
        try {
          fh = await fsp.open(path.join(tree, s.file), C.O_RDONLY | C.O_NOFOLLOW);
        } catch (e) {
          throw new LayerDamagedError(`layer ${x.diffId} is damaged: ${s.file} cannot be read from its unpacked files (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
        }
        try {
          let left = s.size;
          while (left > 0) {
            const buf = Buffer.allocUnsafe(Math.min(CHUNK, left));
            const { bytesRead } = await fh.read(buf, 0, buf.length, null);
            if (bytesRead === 0) throw new LayerDamagedError(`layer ${x.diffId} is damaged: ${s.file} is shorter than the ${s.size} bytes the layer recorded`);
            left -= bytesRead;
            yield* out(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
          }
        } finally {
          await fh.close();
        }
      } else {
        let left = s.size;
        let at = s.stash;
        while (left > 0) {
          const buf = Buffer.allocUnsafe(Math.min(CHUNK, left));
          const { bytesRead } = await stash!.read(buf, 0, buf.length, at);
          if (bytesRead === 0) throw new LayerDamagedError(`layer ${x.diffId} is damaged: its stash is cut short`);
          left -= bytesRead;
          at += bytesRead;
          yield* out(buf.subarray(0, bytesRead));
        }
      }
    }
  } finally {
    await stash?.close();
  }
  const digest = `sha256:${hash.digest('hex')}`;
  if (digest !== x.diffId || total !== x.size) {
    throw new LayerDamagedError(`layer ${x.diffId} is damaged: its unpacked files no longer give the tar it was made from (got ${digest}, ${total} bytes; expected ${x.size} bytes). Layers are read-only; something changed it on disk. Remove the images that use it and pull or load them again`);
  }
  if (held) yield held;
}
