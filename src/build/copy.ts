import { createHash } from 'node:crypto';
import { constants as C, createReadStream, promises as fsp, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { invalidArgument } from '../domain/errors';
import {
  at,
  openDir,
  openDirAt,
  openFileAt,
  PathError,
  realPathInRoot,
  removeTreeAt,
  resolveInRoot,
  statAt,
  walkTree,
  resolveIfThere,
  readTextInRoot,
} from '../storage/scoped-fs';
import { extractInto } from '../storage/tar-extract';
import { packContents } from '../storage/tar-pack';
import { cleanMemberNames, decompressed, peek, rewriteTar } from './archive';
import { getWithStatusError, isURL } from './context';

/**
 * COPY and ADD for the classic builder, as dockerd 20.10's builder/dockerfile/copy.go does
 * them (each rule below checked against it). Sources are read only inside the context root
 * (symlinks resolved in its scope); the destination is written only inside the step's
 * rootfs (scoped-fs: an image symlink is followed inside the rootfs, never out of it).
 */
export interface CopySpec {
  sources: string[];
  dest: string;
  workdir: string;
  add: boolean;
  chown?: string;
  /** BuildKit's --chmod (octal); dockerd's classic builder refuses it: see CHMOD_NEEDS_BUILDKIT. */
  chmod?: string;
}

export type Resolved =
  | { kind: 'local'; rel: string /* relative to srcRoot, as written (a symlink keeps its own name) */; isDir: boolean }
  | {
      kind: 'url';
      url: string;
      /** The download (ADD fetches before the cache probe, as dockerd: the checksum needs it); release with releaseSources. */
      file: string;
      /** Its name in a directory dest: from the URL path or Content-Disposition; '' when neither gives one. */
      name: string;
      /** Last-Modified, or the epoch. */
      mtime: Date;
    };

/** dockerd's classic builder refuses --chmod with this; the executor decides whether to (copyInto applies it as BuildKit does). */
export const CHMOD_NEEDS_BUILDKIT =
  'the --chmod option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled';

const fail = (cmd: string, msg: string) => invalidArgument(`${cmd} failed: ${msg}`);
const cmdName = (spec: CopySpec) => (spec.add ? 'ADD' : 'COPY');

// ---- resolving sources ------------------------------------------------------------------

export async function resolveSources(srcRoot: string, spec: CopySpec): Promise<Resolved[]> {
  const cmd = cmdName(spec);
  const out: Resolved[] = [];
  try {
    for (const src of spec.sources) {
      if (isURL(src)) {
        if (!spec.add) throw fail(cmd, "source can't be a URL for COPY");
        out.push(await download(src, spec.dest, cmd));
      } else {
        out.push(...(await resolveLocal(srcRoot, src, cmd)));
      }
    }
    if (out.length === 0) throw fail(cmd, 'no source files were specified');
    if (out.length > 1 && !spec.dest.endsWith('/')) {
      throw invalidArgument(`When using ${cmd} with more than one source file, the destination must be a directory and end with a /`);
    }
    return out;
  } catch (e) {
    await releaseSources(out);
    throw e;
  }
}

/** Remove the downloads of URL sources. */
export async function releaseSources(resolved: Resolved[]): Promise<void> {
  for (const r of resolved) if (r.kind === 'url') await fsp.rm(path.dirname(r.file), { recursive: true, force: true });
}

/** A local source: "/x" and "./x" are relative to the context; a glob expands over the whole context tree. */
async function resolveLocal(srcRoot: string, orig: string, cmd: string): Promise<Resolved[]> {
  const p = orig.replace(/^\//, '').replace(/^\.\//, '');
  const root = await openDir(srcRoot);
  try {
    if (!hasWildcards(p)) return [await resolveOne(root, p, cmd)];
    const re = goGlob(p);
    const matches: string[] = [];
    if (re) {
      await walkTree(root, async (e) => {
        if (re.test(e.rel)) matches.push(e.rel);
      });
    }
    const out: Resolved[] = [];
    for (const rel of matches) out.push(await resolveOne(root, rel, cmd));
    return out;
  } finally {
    await root.close();
  }
}

async function resolveOne(root: FileHandle, rel: string, cmd: string): Promise<Resolved> {
  const n = path.posix.normalize(rel || '.');
  // dockerd joins then cleans: a name that climbs out lexically is refused (symlinks are clamped instead).
  if (n === '..' || n.startsWith('../')) throw fail(cmd, `forbidden path outside the build context: ${rel} ()`);
  const st = await statInScope(root, rel);
  if (!st) throw fail(cmd, `file not found in build context or excluded by .dockerignore: stat ${rel}: file does not exist`);
  return { kind: 'local', rel, isDir: st.isDirectory() };
}

/** stat of a path in the root, every symlink followed inside it; undefined when missing. */
async function statInScope(root: FileHandle, rel: string): Promise<Stats | undefined> {
  const r = await resolveIfThere(root, rel);
  if (!r) return undefined;
  try {
    return await statAt(r.dir, r.name).catch(() => undefined);
  } finally {
    await r.release();
  }
}

export function hasWildcards(p: string): boolean {
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '\\') i++;
    else if (p[i] === '*' || p[i] === '?' || p[i] === '[') return true;
  }
  return false;
}

const reEscape = (c: string) => c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

/**
 * Go's filepath.Match as a RegExp: '*' and '?' never match '/', '[...]' classes with ranges
 * and '^' negation, '\\' escapes. undefined for a malformed pattern (Go's ErrBadPattern,
 * which dockerd treats as no match).
 */
export function goGlob(pattern: string): RegExp | undefined {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      if (++i >= pattern.length) return undefined;
      re += reEscape(pattern[i]);
    } else if (c === '[') {
      const cls = classOf(pattern, i + 1);
      if (!cls) return undefined;
      re += cls.re;
      i = cls.end;
    } else re += reEscape(c);
  }
  return new RegExp(`^${re}$`, 's');
}

/** A '[...]' class starting after the '[' at `from`: its RegExp and the index of its ']'. */
function classOf(p: string, from: number): { re: string; end: number } | undefined {
  let i = from;
  let negated = false;
  if (p[i] === '^') {
    negated = true;
    i++;
  }
  const char = (): string | undefined => {
    if (i >= p.length || p[i] === '-' || p[i] === ']') return undefined;
    if (p[i] === '\\') i++;
    return i < p.length ? p[i++] : undefined;
  };
  let body = '';
  let ranges = 0;
  while (i < p.length && !(p[i] === ']' && ranges > 0)) {
    const lo = char();
    if (lo === undefined) return undefined;
    let hi = lo;
    if (p[i] === '-') {
      i++;
      const h = char();
      if (h === undefined) return undefined;
      hi = h;
    }
    body += lo === hi ? reEscape(lo) : `${reEscape(lo)}-${reEscape(hi)}`;
    ranges++;
  }
  if (i >= p.length) return undefined;
  return { re: `[${negated ? '^' : ''}${body}]`, end: i };
}

// ---- URL sources ------------------------------------------------------------------------

/** Download a URL source as dockerd does: mode 0600, mtime from Last-Modified (else the epoch). */
async function download(url: string, dest: string, cmd: string): Promise<Resolved> {
  let res: Response;
  try {
    res = await getWithStatusError(url);
  } catch (e) {
    throw fail(cmd, (e as Error).message);
  }
  const name = downloadName(url, res.headers.get('content-disposition'));
  if (name === '' && dest.endsWith('/')) {
    await res.body?.cancel().catch(() => undefined);
    throw fail(cmd, `cannot determine filename for source ${url}`);
  }
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'wharf-add-'));
  const file = path.join(dir, 'download');
  try {
    const out = await fsp.open(file, C.O_WRONLY | C.O_CREAT | C.O_EXCL, 0o600);
    try {
      if (res.body) for await (const chunk of Readable.fromWeb(res.body as never)) await out.write(chunk as Buffer);
    } finally {
      await out.close();
    }
    const lm = res.headers.get('last-modified');
    const parsed = lm ? new Date(lm) : undefined;
    const mtime = parsed && !Number.isNaN(parsed.getTime()) ? parsed : new Date(0);
    await fsp.utimes(file, mtime, mtime);
    return { kind: 'url', url, file, name, mtime };
  } catch (e) {
    await fsp.rm(dir, { recursive: true, force: true });
    throw fail(cmd, (e as Error).message);
  }
}

/** dockerd's getFilenameForDownload: the URL path's last element, else Content-Disposition's filename. */
export function downloadName(url: string, disposition: string | null): string {
  const p = new URL(url).pathname;
  if (p !== '' && !p.endsWith('/')) {
    const b = path.posix.basename(decodeURIComponent(p));
    if (b) return b;
  }
  const m = disposition ? /filename\s*=\s*"?([^";]+)"?/i.exec(disposition) : null;
  if (m && !m[1].endsWith('/')) return path.posix.basename(m[1]);
  return '';
}

// ---- the cache key ----------------------------------------------------------------------

const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

/**
 * The step's cache key, shaped as dockerd's created_by shows it: "file:<hex>" for one file,
 * "dir:<hex>" for one directory, "multi:<hex>" for several; a URL's is the bare hex (as
 * dockerd's). Each entry's hash covers its context path, type, permission bits, link target
 * and content; never mtimes or owners, so an identical rebuild hits the cache.
 */
export async function sourcesChecksum(srcRoot: string, resolved: Resolved[]): Promise<string> {
  const root = await openDir(srcRoot);
  try {
    const sums: string[] = [];
    for (const r of resolved) sums.push(r.kind === 'url' ? await urlSum(r) : await localSum(root, r.rel));
    return sums.length === 1 ? sums[0] : `multi:${sha256(sums.join(','))}`;
  } finally {
    await root.close();
  }
}

async function urlSum(r: Extract<Resolved, { kind: 'url' }>): Promise<string> {
  const h = createHash('sha256').update(`${r.name || '__unnamed__'}\0file\0${0o600}\0`);
  for await (const chunk of createReadStream(r.file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** A source's sum: the file it resolves to (symlinks followed in the context), or a directory's whole tree. */
async function localSum(root: FileHandle, rel: string): Promise<string> {
  const r = await resolveInRoot(root, rel, { followLast: true });
  try {
    const st = await statAt(r.dir, r.name);
    const real = r.path.replace(/^\//, '');
    if (!st.isDirectory()) return `file:${await entrySum(r.dir, r.name, real, st)}`;
    const sums = [await entrySum(r.dir, '', real, st)];
    await walkTree(r.dir, async (e) => {
      sums.push(await entrySum(e.dir, e.name, real ? `${real}/${e.rel}` : e.rel, e.st));
    });
    return `dir:${sha256(sums.sort().join(','))}`;
  } finally {
    await r.release();
  }
}

async function entrySum(dir: FileHandle, name: string, rel: string, st: Stats): Promise<string> {
  const type = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other';
  const link = st.isSymbolicLink() ? await fsp.readlink(at(dir, name)) : '';
  const h = createHash('sha256').update(`${rel}\0${type}\0${(st.mode & 0o7777).toString(8)}\0${link}\0`);
  if (st.isFile()) {
    const fh = await openFileAt(dir, name, st.ino);
    try {
      for await (const chunk of fh.createReadStream({ autoClose: false })) h.update(chunk as Buffer);
    } finally {
      await fh.close();
    }
  }
  return h.digest('hex');
}

// ---- writing into the rootfs ------------------------------------------------------------

interface Owner {
  uid: number;
  gid: number;
}

export async function copyInto(rootfs: FileHandle, srcRoot: string, spec: CopySpec, resolved: Resolved[]): Promise<void> {
  const owner = spec.chown ? await chownIdentity(rootfs, spec.chown) : { uid: 0, gid: 0 };
  const mode = spec.chmod === undefined ? undefined : parseChmod(spec.chmod);
  const dest = destPath(spec.workdir, spec.dest);
  const ctx = await openDir(srcRoot);
  try {
    for (const r of resolved) {
      try {
        await copyOne(rootfs, ctx, r, dest, { owner, mode, add: spec.add });
      } catch (e) {
        if (e instanceof CopyError || e instanceof PathError) throw invalidArgument(`failed to copy files: ${e.message}`);
        throw e;
      }
    }
  } finally {
    await ctx.close();
  }
}

class CopyError extends Error {}

interface CopyOpts {
  owner: Owner;
  mode?: number;
  add: boolean;
}

/** The destination in the image: relative to WORKDIR, a trailing '/' kept (it means "a directory"). */
export function destPath(workdir: string, dest: string): string {
  if (dest.startsWith('/')) return dest;
  const joined = path.posix.join('/', workdir || '/', dest);
  return dest.endsWith('/') && !joined.endsWith('/') ? `${joined}/` : joined;
}

async function copyOne(rootfs: FileHandle, ctx: FileHandle, r: Resolved, dest: string, o: CopyOpts): Promise<void> {
  if (r.kind === 'url') {
    const fh = await fsp.open(r.file, C.O_RDONLY | C.O_NOFOLLOW);
    try {
      const st = await fh.stat();
      await copyFile(rootfs, dest, r.name || '__unnamed__', { fh, size: st.size, mode: 0o600, mtime: r.mtime }, o);
    } finally {
      await fh.close();
    }
    return;
  }
  const src = await resolveInRoot(ctx, r.rel, { followLast: true });
  try {
    const st = await statAt(src.dir, src.name);
    if (st.isDirectory()) return await copyDirectory(rootfs, src.dir, dest, o);
    if (!st.isFile()) throw new CopyError(`${r.rel}: not a regular file`);
    const fh = await openFileAt(src.dir, src.name, st.ino);
    try {
      if (o.add && (await isTarArchive(fh))) return await extractArchive(rootfs, fh, dest);
      const base = path.posix.basename(r.rel);
      await copyFile(rootfs, dest, base, { fh, size: st.size, mode: st.mode & 0o7777, mtime: st.mtime }, o);
    } finally {
      await fh.close();
    }
  } finally {
    await src.release();
  }
}

/** The whole of one open file into another (handles, not streams: a stream would own and close them). */
async function copyBytes(from: FileHandle, to: FileHandle): Promise<void> {
  const buf = Buffer.alloc(256 * 1024);
  let pos = 0;
  for (;;) {
    const { bytesRead } = await from.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) return;
    await to.write(buf, 0, bytesRead);
    pos += bytesRead;
  }
}

interface FileSource {
  fh: FileHandle;
  size: number;
  mode: number;
  mtime: Date;
}

/**
 * One file: into `dest` when dest is a file path, or as dest/<base> when dest ends in '/'
 * or is a directory in the image. An image symlink at dest is followed inside the rootfs
 * (dockerd resolves dest in scope too); missing parents are made 0755, owned as the file.
 */
async function copyFile(rootfs: FileHandle, dest: string, base: string, src: FileSource, o: CopyOpts): Promise<void> {
  const intoDir = dest.endsWith('/') || (await isDirInRoot(rootfs, dest));
  const target = await realPathInRoot(rootfs, intoDir ? path.posix.join(dest, base) : dest);
  await mkdirAll(rootfs, path.posix.dirname(target), o.owner);
  const r = await resolveInRoot(rootfs, target, { followLast: false });
  try {
    const existing = await statAt(r.dir, r.name).catch(() => undefined);
    if (existing) await removeTreeAt(r.dir, r.name);
    const out = await fsp.open(at(r.dir, r.name), C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
    try {
      await copyBytes(src.fh, out);
      await out.chown(o.owner.uid, o.owner.gid);
      await out.chmod(o.mode ?? src.mode);
      await out.utimes(src.mtime, src.mtime);
    } finally {
      await out.close();
    }
  } finally {
    await r.release();
  }
}

/**
 * A directory's contents (not the directory itself) into dest, packed from the pinned
 * source and extracted through scoped-fs: symlinks stay symlinks, modes and mtimes kept,
 * everything owned by the chown identity. A new dest is 0755 and owned by it too; missing
 * parents of dest are root's (dockerd's CopyWithTar then fixPermissions).
 */
async function copyDirectory(rootfs: FileHandle, srcDir: FileHandle, dest: string, o: CopyOpts): Promise<void> {
  const existed = await isDirInRoot(rootfs, dest);
  const real = await realPathInRoot(rootfs, dest);
  await mkdirAll(rootfs, path.posix.dirname(real), { uid: 0, gid: 0 });
  await mkdirAll(rootfs, real, existed ? { uid: 0, gid: 0 } : o.owner);
  const packed = packContents(srcDir, {});
  const stream = o.mode === undefined ? packed.stream : rewriteTar(packed.stream, (h) => ({ ...h, mode: o.mode! }));
  try {
    await extractInto(rootfs, real, stream, { noOverwriteDirNonDir: false, chown: o.owner });
  } catch (e) {
    // Stop the packer too: it would wait for a reader for ever, holding the source's fds.
    stream.destroy();
    await packed.done.catch(() => undefined);
    throw e;
  }
  await packed.done;
}

/**
 * ADD of a local archive: extracted into dest (always a directory), names cleaned as dockerd's
 * chrooted untar, owners kept. dockerd's untar is chrooted in dest: the archive's own symlinks
 * resolve from dest too (l -> /opt, then l/f writes dest/opt/f), so dest is the scope here.
 */
async function extractArchive(rootfs: FileHandle, fh: FileHandle, dest: string): Promise<void> {
  const real = await realPathInRoot(rootfs, dest);
  await mkdirAll(rootfs, real, { uid: 0, gid: 0 });
  const r = await resolveInRoot(rootfs, real, { followLast: false });
  let scope: FileHandle;
  try {
    scope = r.name === '' ? rootfs : await openDirAt(r.dir, r.name);
  } finally {
    await r.release();
  }
  try {
    const tarStream = rewriteTar(await decompressed(fh.createReadStream({ autoClose: false, start: 0 })), cleanMemberNames);
    await extractInto(scope, '/', tarStream, { noOverwriteDirNonDir: false });
  } finally {
    if (scope !== rootfs) await scope.close();
  }
}

/** Whether a file is a tar archive (maybe compressed), as dockerd's isArchivePath: its first header reads. */
async function isTarArchive(fh: FileHandle): Promise<boolean> {
  try {
    const stream = await decompressed(fh.createReadStream({ autoClose: false, start: 0 }));
    const { head, all } = await peek(stream, 512);
    all.destroy();
    return head.length === 512 && validTarHeader(head);
  } catch {
    return false;
  }
}

/** A tar header block: its checksum field matches its bytes (all-zero = end of archive, not a header). */
export function validTarHeader(b: Buffer): boolean {
  if (b.every((x) => x === 0)) return false;
  const field = b.subarray(148, 156).toString('latin1').replace(/[\0 ]+$/, '').trim();
  if (!/^[0-7]+$/.test(field)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i];
  return parseInt(field, 8) === sum;
}

async function isDirInRoot(rootfs: FileHandle, p: string): Promise<boolean> {
  try {
    const r = await resolveInRoot(rootfs, p, { followLast: true });
    await r.release();
    return r.name === '';
  } catch (e) {
    if (e instanceof PathError) return false;
    throw e;
  }
}

/** mkdir -p inside the rootfs (symlinks followed in scope); the directories it makes are 0755 and given to `owner`. */
async function mkdirAll(rootfs: FileHandle, p: string, owner: Owner): Promise<void> {
  const parts = p.split('/').filter((c) => c && c !== '.');
  for (let i = 1; i <= parts.length; i++) {
    const prefix = `/${parts.slice(0, i).join('/')}`;
    let r;
    try {
      r = await resolveInRoot(rootfs, prefix, { followLast: true });
    } catch (e) {
      if (e instanceof PathError) throw new CopyError(`mkdir ${prefix}: not a directory`);
      throw e;
    }
    try {
      if (r.name === '') continue;
      const st = await statAt(r.dir, r.name).catch(() => undefined);
      if (st) throw new CopyError(`mkdir ${r.path}: not a directory`);
      await fsp.mkdir(at(r.dir, r.name), 0o755);
      const d = await openDirAt(r.dir, r.name);
      try {
        await d.chmod(0o755); // whatever the umask
        await d.chown(owner.uid, owner.gid);
      } finally {
        await d.close();
      }
    } finally {
      await r.release();
    }
  }
}

// ---- --chown and --chmod ----------------------------------------------------------------

/**
 * dockerd's classic-builder --chown: "user[:group]", a lone user also naming the group;
 * numeric ids used as they are, names looked up in the image's /etc/passwd and /etc/group
 * (read inside the rootfs).
 */
export async function chownIdentity(rootfs: FileHandle, chown: string): Promise<Owner> {
  const prefix = 'unable to convert uid/gid chown string to host mapping';
  const parts = chown.split(':');
  if (parts.length > 2) throw invalidArgument(`${prefix}: invalid chown string format: ${chown}`);
  const [user, group] = parts.length === 1 ? [parts[0], parts[0]] : parts;
  const uid = await lookupId(rootfs, '/etc/passwd', user, 'user');
  if (typeof uid === 'string') throw invalidArgument(`${prefix}: can't find uid for user ${user}: ${uid}`);
  const gid = await lookupId(rootfs, '/etc/group', group, 'group');
  if (typeof gid === 'string') throw invalidArgument(`${prefix}: can't find gid for group ${group}: ${gid}`);
  return { uid, gid };
}

/** An id by number or by name in a colon file of the image; a string is the failure. */
async function lookupId(rootfs: FileHandle, file: string, name: string, what: 'user' | 'group'): Promise<number | string> {
  if (/^\d+$/.test(name)) return Number(name);
  const text = await readTextInRoot(rootfs, file);
  if (text === undefined || text === null) return `open ${file}: no such file or directory`;
  for (const line of text.split('\n')) {
    const f = line.trim().split(':');
    if (f[0] === name && f.length > 2 && /^\d+$/.test(f[2])) return Number(f[2]);
  }
  return `no such ${what}: ${name}`;
}

/** BuildKit's --chmod: an octal mode. */
export function parseChmod(s: string): number {
  if (!/^[0-7]{1,4}$/.test(s)) throw invalidArgument(`invalid chmod parameter: ${s}`);
  return parseInt(s, 8);
}

