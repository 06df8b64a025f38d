import { constants as C, promises as fsp, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/**
 * Paths inside a container's root filesystem, resolved and used without ever leaving it.
 *
 * The root is untrusted: a (running) container can put a symlink anywhere, even swap a
 * directory for one while we work. So, like Docker's FollowSymlinkInScope but without its
 * race: every directory on the way is opened with O_NOFOLLOW and pinned by its fd, the next
 * name is looked up through /proc/self/fd/<fd>/<name> (the magic link is the pinned
 * directory itself, never re-resolved by name), symlinks are read and expanded against the
 * root, and ".." never climbs above it. The root itself (the overlay mount) has no
 * submounts in the daemon's namespace, so a pinned directory is always inside it.
 */

const DIR_FLAGS = C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW;
const MAX_LINKS = 40;

/** /proc/self/fd/<fd>/<name>: a name looked up in a pinned directory (name '' = the directory). */
export function at(dir: FileHandle, name = ''): string {
  return name ? `/proc/self/fd/${dir.fd}/${name}` : `/proc/self/fd/${dir.fd}`;
}

export function openDir(hostPath: string): Promise<FileHandle> {
  return fsp.open(hostPath, DIR_FLAGS);
}

/** Open a child directory of a pinned directory, refusing to follow a symlink. */
export function openDirAt(dir: FileHandle, name: string): Promise<FileHandle> {
  return fsp.open(at(dir, name), DIR_FLAGS);
}

/** The components of a path inside the container ('' and '.' dropped; '..' kept). */
export function components(p: string): string[] {
  return p.split('/').filter((c) => c !== '' && c !== '.');
}

export class PathError extends Error {
  constructor(
    readonly code: 'ENOENT' | 'ENOTDIR' | 'ELOOP',
    message: string,
    /** For ENOENT: the resolved path up to the missing component, and what was left after it. */
    readonly missing?: { at: string; rest: string[] },
  ) {
    super(message);
  }
}

export interface Resolution {
  /** The directory that holds `name` (or is the target itself when `name` is ''). */
  dir: FileHandle;
  /** The last component, not followed and maybe missing ('' when the target is `dir`). */
  name: string;
  /** The resolved path inside the container, from its root: '/a/b'. */
  path: string;
  /** Close every directory the walk opened (the root stays open). */
  release(): Promise<void>;
}

export interface ResolveOptions {
  /** Follow a symlink in the last component (within the root) too. */
  followLast: boolean;
  /** Create missing directories on the way, the last one too (mode 0755), as an archive extraction does. */
  mkdirs?: boolean;
}

/**
 * Resolve `p` (a path in the container) from the pinned root directory. Every component but
 * the last must resolve to a directory; missing ones are an ENOENT PathError (or created).
 */
export async function resolveInRoot(root: FileHandle, p: string, o: ResolveOptions): Promise<Resolution> {
  const stack: { fh: FileHandle; name: string }[] = [{ fh: root, name: '' }];
  const release = async () => {
    while (stack.length > 1) await stack.pop()!.fh.close().catch(() => undefined);
  };
  const pathOf = (extra: string[] = []) => '/' + [...stack.slice(1).map((s) => s.name), ...extra].join('/');
  const queue = components(p);
  let links = 0;
  let retries = 0;
  try {
    while (queue.length) {
      const c = queue.shift()!;
      if (c === '..') {
        if (stack.length > 1) await stack.pop()!.fh.close().catch(() => undefined);
        continue;
      }
      const top = stack[stack.length - 1].fh;
      const last = queue.length === 0;
      if (last && !o.followLast) return { dir: top, name: c, path: pathOf([c]), release };
      let st: Stats;
      try {
        st = await fsp.lstat(at(top, c));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        if (last && !o.mkdirs) return { dir: top, name: c, path: pathOf([c]), release };
        if (!o.mkdirs) throw new PathError('ENOENT', `${pathOf([c])}: no such file or directory`, { at: pathOf([c]), rest: [...queue] });
        await fsp.mkdir(at(top, c), 0o755).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST') throw err;
        });
        queue.unshift(c);
        continue;
      }
      if (st.isSymbolicLink()) {
        if (++links > MAX_LINKS) throw new PathError('ELOOP', `${pathOf([c])}: too many levels of symbolic links`);
        const target = await fsp.readlink(at(top, c));
        if (target.startsWith('/')) await release();
        queue.unshift(...components(target));
        continue;
      }
      if (st.isDirectory()) {
        let fh: FileHandle;
        try {
          fh = await openDirAt(top, c);
        } catch (e) {
          // Swapped for something else since the lstat: look again (a few times).
          const code = (e as NodeJS.ErrnoException).code;
          if ((code === 'ENOTDIR' || code === 'ELOOP' || code === 'ENOENT') && ++retries < 10) {
            queue.unshift(c);
            continue;
          }
          throw e;
        }
        stack.push({ fh, name: c });
        continue;
      }
      if (last) return { dir: top, name: c, path: pathOf([c]), release };
      throw new PathError('ENOTDIR', `${pathOf([c])}: not a directory`);
    }
    return { dir: stack[stack.length - 1].fh, name: '', path: pathOf(), release };
  } catch (e) {
    await release();
    throw e;
  }
}

/** The container path a path resolves to with every symlink followed in scope (for linkTarget). */
/** resolveInRoot, every symlink followed inside the root; undefined when the path is not there. */
export async function resolveIfThere(root: FileHandle, p: string): Promise<Resolution | undefined> {
  try {
    return await resolveInRoot(root, p, { followLast: true });
  } catch (e) {
    if (e instanceof PathError) return undefined;
    throw e;
  }
}

export async function realPathInRoot(root: FileHandle, p: string): Promise<string> {
  try {
    const r = await resolveInRoot(root, p, { followLast: true });
    await r.release();
    return r.path;
  } catch (e) {
    // Past a missing directory nothing can be a symlink: the rest is lexical, as Docker's is.
    if (!(e instanceof PathError) || !e.missing) throw e;
    const out = components(e.missing.at);
    for (const c of e.missing.rest) {
      if (c === '..') out.pop();
      else out.push(c);
    }
    return '/' + out.join('/');
  }
}

/** lstat of a name in a pinned directory; name '' is the directory itself (its fstat: /proc/self/fd/N is a link). */
export function statAt(dir: FileHandle, name: string): Promise<Stats> {
  return name ? fsp.lstat(at(dir, name)) : dir.stat();
}

/** lstat of a resolution's target. */
export function lstatOf(r: Pick<Resolution, 'dir' | 'name'>): Promise<Stats> {
  return statAt(r.dir, r.name);
}

/** Remove a tree under a pinned directory without following any symlink in it. */
export async function removeTreeAt(dir: FileHandle, name: string): Promise<void> {
  const st = await fsp.lstat(at(dir, name));
  if (!st.isDirectory()) {
    await fsp.unlink(at(dir, name));
    return;
  }
  const sub = await openDirAt(dir, name);
  try {
    for (const child of await fsp.readdir(at(sub))) await removeTreeAt(sub, child);
  } finally {
    await sub.close();
  }
  await fsp.rmdir(at(dir, name));
}

export interface WalkEntry {
  /** Path from the walk's start, '' for the start itself: 'a/b'. */
  rel: string;
  st: Stats;
  /** The pinned directory holding the entry, and its name there ('' for the start). */
  dir: FileHandle;
  name: string;
}

/**
 * Walk a tree depth-first, parents before children, names in byte order, never following a
 * symlink. The visitor may return 'skip' to leave a directory's contents out.
 */
export async function walkTree(
  dir: FileHandle,
  visit: (e: WalkEntry) => Promise<void | 'skip'>,
  rel = '',
): Promise<void> {
  const names = (await fsp.readdir(at(dir))).sort(byteOrder);
  for (const name of names) {
    let st: Stats;
    try {
      st = await fsp.lstat(at(dir, name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // gone meanwhile
      throw e;
    }
    const childRel = rel ? `${rel}/${name}` : name;
    if ((await visit({ rel: childRel, st, dir, name })) === 'skip' || !st.isDirectory()) continue;
    let sub: FileHandle;
    try {
      sub = await openDirAt(dir, name);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') continue; // changed meanwhile
      throw e;
    }
    try {
      await walkTree(sub, visit, childRel);
    } finally {
      await sub.close();
    }
  }
}

export const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Open a regular file in a pinned directory for reading, refusing symlinks, FIFOs and devices. */
export async function openFileAt(dir: FileHandle, name: string, expectIno?: number): Promise<FileHandle> {
  const fh = await fsp.open(at(dir, name), C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
  const st = await fh.stat();
  if (!st.isFile() || (expectIno !== undefined && st.ino !== expectIno)) {
    await fh.close();
    throw new PathError('ENOENT', `${name}: changed while being read`);
  }
  return fh;
}

/** A file's text inside the root (symlinks resolved in scope); undefined if missing, null if a directory. */
export async function readTextInRoot(root: FileHandle, p: string): Promise<string | undefined | null> {
  const r = await resolveIfThere(root, p);
  if (!r) return undefined;
  try {
    if (r.name === '') return null;
    const st = await statAt(r.dir, r.name).catch(() => undefined);
    if (!st) return undefined;
    if (!st.isFile()) return undefined;
    const fh = await openFileAt(r.dir, r.name);
    try {
      return (await fh.readFile()).toString('utf8');
    } finally {
      await fh.close();
    }
  } finally {
    await r.release();
  }
}
