// A streaming tar scanner: it finds the headers of a tar stream as the bytes pass, without
// copying the file data. Used to index a layer as it is unpacked (tar-split) and to read
// docker load's archive. Each byte of the stream is reported exactly once, in order, as
// header bytes (including PAX/GNU long-name records and their data, GNU sparse extension
// blocks), entry data, padding, or trailer (from the first zero block to the end).

export type ByteKind = 'header' | 'data' | 'padding' | 'trailer';

/** A tar entry as its headers describe it (the PAX / GNU long-name records applied). */
export interface TarEntry {
  name: string;
  linkname: string;
  /** The type flag ('0', '5', '2', 'S', ... ; '\0' is reported as '0'). */
  type: string;
  /** Bytes of data that follow the header in the stream. */
  size: number;
  /** A GNU sparse file (old 'S' type or PAX GNU.sparse.* keys): its data is not the file's content. */
  sparse: boolean;
  /** Where the entry's header begins in the stream (the first of its PAX / long-name blocks). */
  offset: number;
  /** Where its own header block (after those records) begins in the stream. */
  headerAt: number;
}

export interface ScanSink {
  /** An entry is about to begin: its header blocks (PAX and long-name records first) follow. */
  entry?(e: TarEntry): void;
  bytes(kind: ByteKind, chunk: Buffer, entry?: TarEntry): void;
}

export class TarFormatError extends Error {}

const BLOCK = 512;

function cstring(b: Buffer, start: number, len: number): string {
  const end = b.indexOf(0, start);
  return b.toString('utf8', start, end < 0 || end > start + len ? start + len : end);
}

function cstringRaw(b: Buffer): string {
  const end = b.indexOf(0);
  return b.toString('utf8', 0, end < 0 ? b.length : end);
}

function numeric(b: Buffer, start: number, len: number): number {
  if (b[start] & 0x80) {
    // base-256 (GNU): big-endian, first byte's top bit set
    let v = b[start] & 0x7f;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + b[i];
    return v;
  }
  const s = b.toString('latin1', start, start + len).replace(/\0.*$/s, '').trim();
  if (!s) return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarFormatError('archive/tar: invalid tar header');
  return parseInt(s, 8);
}

/** A 512-byte block is a tar header whose checksum holds. */
export function headerChecksumOk(h: Buffer): boolean {
  return checksumOk(h);
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  let signed = 0; // old tars summed signed chars; GNU tar accepts both
  for (let i = 0; i < BLOCK; i++) {
    const v = i >= 148 && i < 156 ? 32 : h[i];
    sum += v;
    signed += v > 127 ? v - 256 : v;
  }
  let want: number;
  try {
    want = numeric(h, 148, 8);
  } catch {
    return false;
  }
  return sum === want || signed === want;
}

/** PAX records: "len key=value\n"... */
export function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    if (sp < 0) break;
    const len = parseInt(data.toString('latin1', i, sp), 10);
    if (!(len > 0) || i + len > data.length) break;
    const rec = data.toString('utf8', sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    i += len;
  }
  return out;
}

const META = new Set(['x', 'g', 'L', 'K']);
const pad = (n: number) => (BLOCK - (n % BLOCK)) % BLOCK;

/**
 * Feed it the stream's chunks in order; it calls the sink for every byte. Chunks given to the
 * sink are views of the input (no copy) except header blocks split across input chunks.
 */
export class TarScanner {
  private offset = 0;
  private state: 'header' | 'meta-data' | 'sparse-ext' | 'data' | 'padding' | 'trailer' = 'header';
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private remaining = 0;
  /** PAX / long-name values waiting for the entry they apply to. */
  private pax = new Map<string, string>();
  private longName?: string;
  private longLink?: string;
  private metaType = '';
  private metaBufs: Buffer[] = [];
  private entryStart = -1;
  private current?: TarEntry;
  private afterPadding: 'header' | 'meta-done' = 'header';

  constructor(private sink: ScanSink) {}

  /** Bytes of a header block begun and not yet whole (held by the scanner, not yet reported). */
  get held(): number {
    return this.state === 'header' || this.state === 'sparse-ext' ? this.pendingLen : 0;
  }

  get ended(): boolean {
    return this.state === 'trailer';
  }

  write(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      switch (this.state) {
        case 'trailer':
          this.emit('trailer', i === 0 ? chunk : chunk.subarray(i));
          this.offset += chunk.length - i;
          return;
        case 'header':
        case 'sparse-ext': {
          const need = BLOCK - this.pendingLen;
          const take = Math.min(need, chunk.length - i);
          this.pending.push(chunk.subarray(i, i + take));
          this.pendingLen += take;
          i += take;
          if (this.pendingLen < BLOCK) return;
          const block = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
          this.pending = [];
          this.pendingLen = 0;
          this.block(block);
          break;
        }
        case 'meta-data':
        case 'data':
        case 'padding': {
          const take = Math.min(this.remaining, chunk.length - i);
          const piece = chunk.subarray(i, i + take);
          i += take;
          this.remaining -= take;
          this.offset += take;
          if (this.state === 'meta-data') {
            this.metaBufs.push(Buffer.from(piece));
            this.emit('header', piece);
          } else this.emit(this.state, piece);
          if (this.remaining === 0) this.advance();
          break;
        }
      }
    }
  }

  /** The stream ended: a tar that stops inside an entry is cut short. */
  end(): void {
    if (this.state !== 'trailer' && (this.state !== 'header' || this.pendingLen || this.entryStart >= 0)) throw new TarFormatError('unexpected EOF');
  }

  private emit(kind: ByteKind, b: Buffer): void {
    if (b.length) this.sink.bytes(kind, b, this.current);
  }

  private block(h: Buffer): void {
    const at = this.offset;
    this.offset += BLOCK;
    if (this.state === 'sparse-ext') {
      this.emit('header', h);
      if (h[504]) return; // another extension block follows
      this.startData();
      return;
    }
    if (this.entryStart < 0 && h.every((b) => b === 0)) {
      this.state = 'trailer';
      this.current = undefined;
      this.emit('trailer', h);
      return;
    }
    if (!checksumOk(h)) throw new TarFormatError('archive/tar: invalid tar header');
    if (this.entryStart < 0) this.entryStart = at;
    let type = String.fromCharCode(h[156]);
    if (type === '\0') type = '0';
    const size = numeric(h, 124, 12);
    if (META.has(type)) {
      // Its data is part of the next entry's header: emitted as header bytes, read to apply it.
      this.emit('header', h);
      this.metaType = type;
      this.metaBufs = [];
      this.remaining = size;
      this.afterPadding = 'meta-done';
      if (size === 0) this.metaDone();
      else this.state = 'meta-data';
      return;
    }
    const ustar = h.toString('latin1', 257, 263) === 'ustar\0';
    let name = cstring(h, 0, 100);
    if (ustar && h[345]) name = `${cstring(h, 345, 155)}/${name}`;
    name = this.pax.get('path') ?? this.longName ?? name;
    const linkname = this.pax.get('linkpath') ?? this.longLink ?? cstring(h, 157, 100);
    const paxSize = this.pax.get('size');
    const sparse = type === 'S' || [...this.pax.keys()].some((k) => k.startsWith('GNU.sparse.'));
    const e: TarEntry = { name, linkname, type, size: paxSize !== undefined ? Number(paxSize) : size, sparse, offset: this.entryStart, headerAt: at };
    if (!Number.isSafeInteger(e.size) || e.size < 0) throw new TarFormatError('archive/tar: invalid tar header');
    this.pax = new Map([...this.pax].filter(([k]) => k.startsWith('global:')));
    this.longName = this.longLink = undefined;
    this.current = e;
    this.sink.entry?.(e);
    this.emit('header', h);
    // Old GNU sparse: extension blocks may follow the header, before the data.
    if (type === 'S' && h[482]) {
      this.state = 'sparse-ext';
      return;
    }
    this.startData();
  }

  private startData(): void {
    const e = this.current!;
    this.remaining = e.size;
    this.afterPadding = 'header';
    if (e.size === 0) this.endEntry();
    else this.state = 'data';
  }

  private advance(): void {
    if (this.state === 'data' || this.state === 'meta-data') {
      const size = this.state === 'data' ? this.current!.size : this.metaBufs.reduce((n, b) => n + b.length, 0);
      const p = pad(size);
      if (p) {
        this.state = 'padding';
        this.remaining = p;
        return;
      }
    }
    if (this.afterPadding === 'meta-done') this.metaDone();
    else this.endEntry();
  }

  private metaDone(): void {
    const data = Buffer.concat(this.metaBufs);
    this.metaBufs = [];
    if (this.metaType === 'x') for (const [k, v] of parsePax(data)) this.pax.set(k, v);
    else if (this.metaType === 'g') for (const [k, v] of parsePax(data)) this.pax.set(`global:${k}`, v);
    else if (this.metaType === 'L') this.longName = cstringRaw(data);
    else if (this.metaType === 'K') this.longLink = cstringRaw(data);
    this.state = 'header';
  }

  private endEntry(): void {
    this.entryStart = -1;
    this.state = 'header';
  }
}
