import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { promises as fsp } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { at, openDirAt, openFileAt, statAt, walkTree } from './scoped-fs';
import { isOverlayWhiteout, OPAQUE_MARKER, whiteoutTarName } from './whiteouts';

/**
 * Tar archives of trees inside a container's filesystem, written from pinned directories
 * (scoped-fs), so a symlink in the tree is archived as a symlink and never followed.
 */
export interface PackOptions {
  /**
   * Write overlayfs deletions as layer-tar whiteouts (commit): a 0:0 character device
   * becomes ".wh.<name>", an opaque directory (relative paths from the start) gets a
   * ".wh..wh..opq" entry.
   */
  overlayWhiteouts?: { opaque: Set<string> };
}

type Header = Partial<tar.Header> & { name: string };

export function devNumbers(rdev: number): { devmajor: number; devminor: number } {
  const hi = Math.floor(rdev / 2 ** 32);
  const lo = rdev % 2 ** 32;
  return {
    devmajor: ((lo >>> 8) & 0xfff) | ((hi & 0xfffff000) >>> 0),
    devminor: (lo & 0xff) | ((lo >>> 12) & 0xfff00),
  };
}

/** A tar header for a file, or undefined for a type tar cannot hold (a socket). */
export function headerOf(st: Stats, name: string): Header | undefined {
  const h: Header = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime, size: 0 };
  if (st.isDirectory()) return { ...h, name: name.endsWith('/') ? name : `${name}/`, type: 'directory' };
  if (st.isFile()) return { ...h, type: 'file', size: st.size };
  if (st.isSymbolicLink()) return { ...h, type: 'symlink' };
  if (st.isCharacterDevice()) return { ...h, type: 'character-device', ...devNumbers(st.rdev) };
  if (st.isBlockDevice()) return { ...h, type: 'block-device', ...devNumbers(st.rdev) };
  if (st.isFIFO()) return { ...h, type: 'fifo' };
  return undefined;
}

/** Add one entry: no body, or a buffer body (a file always has one, maybe empty). */
function addEntry(s: PackState, header: Header, body?: Buffer): Promise<void> {
  if (header.type === 'file' && !body) body = Buffer.alloc(0);
  return s.guard(
    new Promise((resolve, reject) => {
      if (body) s.pack.entry(header, body, (err) => (err ? reject(err) : resolve()));
      else s.pack.entry(header, (err) => (err ? reject(err) : resolve()));
    }),
  );
}

/** Add a regular file, streaming exactly header.size bytes (zero-padded if it shrank meanwhile). */
async function addFile(s: PackState, header: Header, fh: FileHandle): Promise<void> {
  let out!: NodeJS.WritableStream & { once(ev: 'drain', f: () => void): unknown };
  const finished = new Promise<void>((resolve, reject) => {
    out = s.pack.entry(header, (err) => (err ? reject(err) : resolve())) as typeof out;
  });
  let left = header.size ?? 0;
  const buf = Buffer.alloc(256 * 1024);
  while (left > 0) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, left), null);
    const chunk = bytesRead > 0 ? Buffer.from(buf.subarray(0, bytesRead)) : Buffer.alloc(Math.min(buf.length, left));
    left -= chunk.length;
    if (!out.write(chunk)) await s.guard(new Promise<void>((r) => out.once('drain', r)));
  }
  out.end();
  await s.guard(finished);
}

interface PackState {
  pack: tar.Pack;
  links: Map<string, string>; // dev:ino → first tar name
  o: PackOptions;
  /** Race a wait against the reader going away (else it would wait for ever, fds open). */
  guard<T>(p: Promise<T>): Promise<T>;
}

/** The pack piped into a node stream, and a state whose waits end when that stream is closed early. */
function startPack(o: PackOptions): { s: PackState; out: PassThrough } {
  const pack = tar.pack();
  const out = new PassThrough();
  (pack as unknown as Readable).pipe(out);
  let finished = false;
  const gone = new Promise<never>((_, reject) => {
    out.once('close', () => {
      if (finished) return;
      (pack as unknown as { destroy(): void }).destroy();
      reject(new Error('the archive reader went away'));
    });
  });
  gone.catch(() => undefined);
  const s: PackState = {
    pack,
    links: new Map(),
    o,
    guard: (p) => Promise.race([p, gone]),
  };
  out.once('end', () => (finished = true));
  return { s, out };
}

/** Archive the entry `name` of the pinned directory `dir` as `tarName` (and its tree if a directory). */
async function packOne(dir: FileHandle, name: string, st: Stats, tarName: string, rel: string, s: PackState): Promise<void> {
  if (s.o.overlayWhiteouts && isOverlayWhiteout(st)) {
    await addEntry(s, { name: whiteoutTarName(tarName), mode: 0o600, uid: st.uid, gid: st.gid, mtime: st.mtime, type: 'file', size: 0 });
    return;
  }
  const header = headerOf(st, tarName);
  if (!header) return;
  if (header.type === 'symlink') {
    header.linkname = await fsp.readlink(at(dir, name));
    await addEntry(s, header);
    return;
  }
  if (header.type === 'file') {
    if (st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = s.links.get(key);
      if (first) {
        await addEntry(s, { ...header, type: 'link', linkname: first, size: 0 });
        return;
      }
      s.links.set(key, tarName);
    }
    let fh: FileHandle;
    try {
      fh = await openFileAt(dir, name, st.ino);
    } catch {
      return; // replaced or removed since it was listed
    }
    try {
      await addFile(s, header, fh);
    } finally {
      await fh.close();
    }
    return;
  }
  await addEntry(s, header);
  if (header.type !== 'directory') return;
  const base = header.name; // ends with '/'
  if (s.o.overlayWhiteouts?.opaque.has(rel)) {
    await addEntry(s, { name: `${base}${OPAQUE_MARKER}`, mode: 0o600, uid: st.uid, gid: st.gid, mtime: st.mtime, type: 'file', size: 0 });
  }
  let sub: FileHandle;
  try {
    sub = await openDirAt(dir, name);
  } catch {
    return;
  }
  try {
    await walkTree(sub, async (e) => {
      await packOne(e.dir, e.name, e.st, `${base}${e.rel}`, rel ? `${rel}/${e.rel}` : e.rel, s);
      return 'skip'; // packOne descends itself
    });
  } finally {
    await sub.close();
  }
}

export interface PackSource {
  /** The pinned directory that holds the source, and its name there ('' = the directory itself). */
  dir: FileHandle;
  name: string;
  /** The name the source gets in the archive: 'x' gives 'x', 'x/...'; '.' gives './', './...'. */
  tarName: string;
}

/**
 * A tar stream of one file or tree. Errors after the first bytes end the stream with an
 * error (the HTTP status is gone by then); a reader that goes away ends the packing.
 */
export function packTree(src: PackSource, o: PackOptions = {}): { stream: Readable; done: Promise<void> } {
  const { s, out } = startPack(o);
  const done = (async () => {
    const st = await statAt(src.dir, src.name);
    if (src.name === '') {
      // The directory itself: its entry, then its contents.
      await addEntry(s, headerOf(st, src.tarName)!);
      const base = src.tarName.endsWith('/') ? src.tarName : `${src.tarName}/`;
      if (o.overlayWhiteouts?.opaque.has('')) {
        await addEntry(s, { name: `${base}${OPAQUE_MARKER}`, mode: 0o600, uid: st.uid, gid: st.gid, mtime: st.mtime, type: 'file', size: 0 });
      }
      await walkTree(src.dir, async (e) => {
        await packOne(e.dir, e.name, e.st, `${base}${e.rel}`, e.rel, s);
        return 'skip';
      });
    } else {
      await packOne(src.dir, src.name, st, src.tarName, '', s);
    }
    s.pack.finalize();
  })();
  done.catch((e: Error) => out.destroy(e));
  return { stream: out, done };
}

/**
 * The contents of a directory (names relative to it, no entry for the directory itself):
 * a container's whole filesystem for export, its upper dir as a layer for commit.
 */
export function packContents(dir: FileHandle, o: PackOptions): { stream: Readable; done: Promise<void> } {
  const { s, out } = startPack(o);
  const done = (async () => {
    await walkTree(dir, async (e) => {
      await packOne(e.dir, e.name, e.st, e.rel, e.rel, s);
      return 'skip';
    });
    s.pack.finalize();
  })();
  done.catch((e: Error) => out.destroy(e));
  return { stream: out, done };
}
