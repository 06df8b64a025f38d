import type { Stats } from 'node:fs';
import { constants as fsConstants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { invalidArgument, notFound, WharfError } from '../../domain/errors';
import { resolveUser } from '../../runtime/user';
import { at, lstatOf, openFileAt, PathError, realPathInRoot, resolveInRoot, type Resolution } from '../../storage/scoped-fs';
import { packTree } from '../../storage/tar-pack';
import { extractInto, ExtractError } from '../../storage/tar-extract';
import type { ContainerView } from '../../domain/container';
import { openDir } from '../../storage/scoped-fs';
import { withRootfs } from './container-rootfs';
import { getContainer } from '../lookup';

import type { EngineDeps } from '../ports';

/** What container-archive uses of the engine. */
export type ContainerArchiveDeps = Pick<EngineDeps, 'views' | 'storage' | 'images' | 'log' | 'locks' | 'live'>;
/** Docker's ContainerPathStat, sent base64-encoded in X-Docker-Container-Path-Stat. */
export interface PathStat {
  name: string;
  size: number;
  mode: number; // Go's os.FileMode bits
  mtime: string;
  linkTarget: string;
}

/** A path as the user gave it: made absolute, with its trailing "/" or "/." kept (they matter to cp). */
export function containerAbsPath(p: string): { abs: string; dot: boolean; slash: boolean } {
  const clean = path.posix.normalize(`/${p}`).replace(/\/+$/, '') || '/';
  const dot = p === '.' || p.endsWith('/.');
  const slash = !dot && p.endsWith('/') && clean !== '/';
  return { abs: dot ? `${clean === '/' ? '' : clean}/.` : slash ? `${clean}/` : clean, dot, slash };
}

/** Go's os.FileMode for a stat: permission bits plus type and special bits in Go's places. */
export function goFileMode(st: Pick<Stats, 'mode' | 'isDirectory' | 'isSymbolicLink' | 'isCharacterDevice' | 'isBlockDevice' | 'isFIFO' | 'isSocket'>): number {
  let m = st.mode & 0o777;
  if (st.mode & 0o4000) m += 2 ** 23; // ModeSetuid
  if (st.mode & 0o2000) m += 2 ** 22; // ModeSetgid
  if (st.mode & 0o1000) m += 2 ** 20; // ModeSticky
  if (st.isDirectory()) m += 2 ** 31;
  else if (st.isSymbolicLink()) m += 2 ** 27;
  else if (st.isCharacterDevice()) m += 2 ** 26 + 2 ** 21;
  else if (st.isBlockDevice()) m += 2 ** 26;
  else if (st.isFIFO()) m += 2 ** 25;
  else if (st.isSocket()) m += 2 ** 24;
  return m;
}

const fileNotFound = (p: string, ref: string) => notFound(`Could not find the file ${p} in container ${ref}`);

interface Located {
  r: Resolution;
  st: Stats;
  stat: PathStat;
}

/**
 * Find a path in the container as Docker's ResolvePath + StatPath do: the directory part
 * with every symlink followed inside the root, the last element not followed, unless the
 * path ends in "/" or "/." (then it must be a directory, reached through any symlink).
 */
async function locate(root: FileHandle, p: string, ref: string): Promise<Located> {
  const { abs, dot, slash } = containerAbsPath(p);
  let r: Resolution;
  try {
    r = await resolveInRoot(root, abs, { followLast: dot || slash });
  } catch (e) {
    if (e instanceof PathError) throw fileNotFound(p, ref);
    throw e;
  }
  try {
    let st: Stats;
    try {
      st = await lstatOf(r);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw fileNotFound(p, ref);
      throw e;
    }
    if ((dot || slash) && !st.isDirectory()) throw invalidArgument(`${abs}: not a directory`);
    let linkTarget = '';
    if (st.isSymbolicLink()) linkTarget = await realPathInRoot(root, abs);
    const name = dot ? '.' : abs === '/' ? '/' : path.posix.basename(abs.replace(/\/$/, ''));
    return { r, st, stat: { name, size: st.size, mode: goFileMode(st), mtime: st.mtime.toISOString(), linkTarget } };
  } catch (e) {
    await r.release();
    throw e;
  }
}

interface PathRoot {
  /** Where p is looked up (the container's root, or a volume or bind source). */
  root: FileHandle;
  /** The container's own root (for /etc/passwd). */
  sysRoot: FileHandle;
  container: ContainerView;
  path: string;
  /** p lies on a volume, bind or tmpfs mount, not on the root filesystem. */
  onMount: boolean;
  /** p is a mount point itself, reached at the mount's source: its name in the container. */
  mountName?: string;
}

/** The mount a path lies under (the deepest), and the path inside it. */
function mountOf(c: ContainerView, p: string): { source: string; type: string; dest: string; rest: string } | undefined {
  const { abs } = containerAbsPath(p);
  const clean = path.posix.normalize(`/${p}`).replace(/\/+$/, '') || '/';
  const tmpfs = Object.keys((c.hostConfig.Tmpfs as Record<string, string> | null | undefined) ?? {}).map((d) => ({ Source: '', Type: 'tmpfs', Destination: d }));
  const m = [...(c.mounts ?? []), ...tmpfs]
    .filter((x) => clean === x.Destination || clean.startsWith(`${x.Destination}/`))
    .sort((a, b) => b.Destination.length - a.Destination.length)[0];
  return m && { source: m.Source, type: m.Type, dest: m.Destination, rest: abs.slice(m.Destination.length) || '/' };
}

/**
 * Run fn with the root a path of the container is to be found under, as Docker's cp sees it:
 * a running container through its own mount namespace (/proc/PID/root: volumes, binds and
 * tmpfs mounts included); a stopped one through its root filesystem, or the source of the
 * volume or bind mount the path lies under.
 */
async function withPathRoot<T>(ctx: ContainerArchiveDeps, ref: string, p: string, fn: (x: PathRoot) => Promise<T>): Promise<T> {
  const c = getContainer(ctx.views, ref);
  if ((c.status === 'running' || c.status === 'paused') && c.pid) {
    // /proc/PID/root is a (magic) link: open it following the link, as a directory.
    const root = await fsp.open(`/proc/${c.pid}/root`, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY).catch(() => undefined);
    if (root) {
      try {
        return await fn({ root, sysRoot: root, container: c, path: p, onMount: mountOf(c, p) !== undefined });
      } finally {
        await root.close();
      }
    }
  }
  return withRootfs(ctx, ref, async ({ root, container }) => {
    const m = mountOf(container, p);
    // On a volume or bind: read it from the mount's source (a tmpfs is gone with the container).
    if (!m || m.type === 'tmpfs' || !m.source) return fn({ root, sysRoot: root, container, path: p, onMount: false });
    const mroot = await openDir(m.source);
    try {
      const mountName = m.rest === '/' ? path.posix.basename(m.dest) : undefined;
      return await fn({ root: mroot, sysRoot: root, container, path: m.rest, onMount: true, mountName });
    } finally {
      await mroot.close();
    }
  });
}

/** HEAD /containers/{id}/archive: what is at a path. */
export async function statContainerPath(ctx: ContainerArchiveDeps, ref: string, p0: string): Promise<PathStat> {
  return withPathRoot(ctx, ref, p0, async ({ root, path: p, mountName }) => {
    const { r, stat } = await locate(root, p, ref);
    await r.release();
    return mountName && stat.name === '/' ? { ...stat, name: mountName } : stat;
  });
}

/**
 * GET /containers/{id}/archive: a tar of the path, its entries named after the path's last
 * element (or "./..." for a path ending in "/."), as Docker's are. `send` gets the stat (for
 * the header) and the stream, and resolves when the stream has been sent.
 */
export async function archiveContainerPath(
  ctx: ContainerArchiveDeps,
  ref: string,
  p0: string,
  send: (stat: PathStat, tar: Readable) => Promise<void>,
): Promise<void> {
  await withPathRoot(ctx, ref, p0, async ({ root, container, path: p, mountName }) => {
    const located = await locate(root, p, ref);
    const r = located.r;
    const stat = mountName && located.stat.name === '/' ? { ...located.stat, name: mountName } : located.stat;
    ctx.live.container(container, 'archive-path', { path: p0 });
    try {
      const tarName = stat.name === '/' ? '.' : stat.name;
      const { stream, done } = packTree({ dir: r.dir, name: r.name, tarName });
      const failed = done.then(() => undefined, (e: Error) => e);
      await send(stat, stream);
      const err = await failed;
      if (err) ctx.log.debug({ ref, path: p, err: err.message }, 'archive stream ended early');
    } finally {
      await r.release();
    }
  });
}

export interface ExtractRequest {
  noOverwriteDirNonDir: boolean;
  copyUIDGID: boolean;
}

/** PUT /containers/{id}/archive: extract a tar into a directory of the container. */
export async function extractToContainer(ctx: ContainerArchiveDeps, ref: string, p0: string, body: Readable, o: ExtractRequest): Promise<void> {
  await withPathRoot(ctx, ref, p0, async ({ root, sysRoot, container, path: p, onMount }) => {
    const { abs } = containerAbsPath(p);
    let r: Resolution;
    try {
      r = await resolveInRoot(root, abs, { followLast: true });
    } catch (e) {
      if (e instanceof PathError) throw fileNotFound(p, ref);
      throw e;
    }
    const dest = r.path;
    try {
      if (r.name !== '') {
        const st = await lstatOf(r).catch(() => undefined);
        if (!st) throw fileNotFound(p, ref);
        throw invalidArgument('extraction point is not a directory');
      }
    } finally {
      await r.release();
    }
    if (container.hostConfig.ReadonlyRootfs && !onMount) throw invalidArgument('container rootfs is marked read-only');
    // Docker: everything belongs to root, or with copyUIDGID to the container's user.
    let chown = { uid: 0, gid: 0 };
    if (o.copyUIDGID && container.config.User) {
      const [passwd, group] = await Promise.all(['/etc/passwd', '/etc/group'].map((f) => readSmallFile(sysRoot, f)));
      try {
        const u = resolveUser(container.config.User, passwd, group);
        chown = { uid: u.uid, gid: u.gid };
      } catch (e) {
        throw invalidArgument((e as Error).message);
      }
    }
    try {
      await extractInto(root, dest, body, { noOverwriteDirNonDir: o.noOverwriteDirNonDir, chown });
    } catch (e) {
      if (e instanceof ExtractError || e instanceof PathError) throw invalidArgument(e.message);
      if (e instanceof WharfError) throw e;
      throw new WharfError('internal', `extracting the archive failed: ${(e as Error).message}`);
    }
    ctx.live.container(container, 'extract-to-dir', { path: p0 });
  });
}

/** A small file of the container (passwd, group), read inside its root; '' when missing. */
export async function readSmallFile(root: FileHandle, p: string): Promise<string> {
  let r: Resolution | undefined;
  try {
    r = await resolveInRoot(root, p, { followLast: true });
    if (!r.name) return '';
    const st = await fsp.lstat(at(r.dir, r.name));
    if (!st.isFile() || st.size > 4 * 1024 * 1024) return '';
    const fh = await openFileAt(r.dir, r.name, st.ino);
    try {
      return await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  } catch {
    return '';
  } finally {
    await r?.release();
  }
}
