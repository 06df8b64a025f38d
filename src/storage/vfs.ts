import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { run } from '../runtime/exec';
import { at, openDir, openDirAt, openFileAt, walkTree, type WalkEntry } from './scoped-fs';
import { devNumbers } from './tar-pack';
import { isOverlayWhiteout, opaqueDirs } from './whiteouts';

/**
 * The vfs storage driver (-s vfs), for hosts where overlayfs cannot be mounted: nothing is
 * mounted. An image's layers are merged once into a full copy (<root>/images/<key>, the
 * "base"), and each container gets a full copy of it (<root>/<id>/rootfs). Its changes are
 * found by comparing the two trees (as Docker's vfs driver does), written out on demand as
 * an overlay-style upper dir (<root>/<id>/upper: changed files, whiteouts for deletions), so
 * diff, commit and the size of the writable layer read it exactly as they read overlay2's.
 * Extended attributes (but overlay's own) and hard links inside a layer are not copied.
 */
export class VfsStorage {
  readonly driver = 'vfs';
  /** Mounts, removals and sweeps one at a time (a base is shared by the containers of one image). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly root: string) {}

  async init(): Promise<void> {
    await fsp.mkdir(path.join(this.root, 'images'), { recursive: true });
  }

  dir(id: string): string {
    return path.join(this.root, id);
  }

  mergedDir(id: string): string {
    return path.join(this.dir(id), 'rootfs');
  }

  upperDir(id: string): string {
    return path.join(this.dir(id), 'upper');
  }

  async prepare(id: string): Promise<void> {
    await fsp.mkdir(this.dir(id), { recursive: true });
  }

  /** The container's root: made once (a copy of its image's base), then kept until remove. lowerDirs: top layer first. */
  mount(id: string, lowerDirs: string[]): Promise<string> {
    return this.serial(async () => {
      const d = this.dir(id);
      const rootfs = this.mergedDir(id);
      if (await exists(path.join(d, 'populated'))) return rootfs;
      const key = baseKey(lowerDirs);
      const base = await this.ensureBase(key, lowerDirs);
      await fsp.rm(rootfs, { recursive: true, force: true });
      await fsp.mkdir(rootfs, { recursive: true });
      await run('cp', ['-a', '--', `${base}/.`, `${rootfs}/`]);
      await fsp.writeFile(path.join(d, 'base'), key);
      await fsp.writeFile(path.join(d, 'populated'), '');
      return rootfs;
    });
  }

  /** Nothing is mounted. */
  async unmount(_id: string): Promise<void> {}

  remove(id: string): Promise<void> {
    return this.serial(async () => {
      const key = await fsp.readFile(path.join(this.dir(id), 'base'), 'utf8').catch(() => '');
      await fsp.rm(this.dir(id), { recursive: true, force: true });
      if (key && !(await this.usedKeys()).has(key)) await fsp.rm(path.join(this.root, 'images', key), { recursive: true, force: true });
    });
  }

  /** Boot (and after removals): bases no container uses, and half-made ones, go. */
  sweepLinks(): Promise<void> {
    return this.serial(async () => {
      const used = await this.usedKeys();
      for (const name of await fsp.readdir(path.join(this.root, 'images')).catch(() => [] as string[])) {
        if (!used.has(name)) await fsp.rm(path.join(this.root, 'images', name), { recursive: true, force: true });
      }
    });
  }

  /** Write the container's changes against its base as an overlay-style upper dir (upperDir). */
  async refreshUpper(id: string): Promise<void> {
    const d = this.dir(id);
    const upper = this.upperDir(id);
    const key = await fsp.readFile(path.join(d, 'base'), 'utf8').catch(() => '');
    if (!key) {
      // Never mounted: it has changed nothing.
      await fsp.mkdir(upper, { recursive: true });
      return;
    }
    const tmp = path.join(d, `upper.${randomBytes(6).toString('hex')}`);
    await fsp.mkdir(tmp);
    try {
      await diffTrees(this.mergedDir(id), path.join(this.root, 'images', key), tmp);
      await fsp.rm(upper, { recursive: true, force: true });
      await fsp.rename(tmp, upper);
    } finally {
      await fsp.rm(tmp, { recursive: true, force: true });
    }
  }

  private async ensureBase(key: string, lowerDirs: string[]): Promise<string> {
    const base = path.join(this.root, 'images', key);
    if (await exists(base)) return base;
    const tmp = `${base}.tmp-${randomBytes(6).toString('hex')}`;
    await fsp.mkdir(tmp, { recursive: true });
    try {
      for (const layer of [...lowerDirs].reverse()) await mergeLayer(layer, tmp);
      // As overlay2's init layer: the files the runtime binds over exist, so they never show as changes.
      const etc = await fsp.lstat(path.join(tmp, 'etc')).catch(() => undefined);
      if (!etc) await fsp.mkdir(path.join(tmp, 'etc'), { mode: 0o755 });
      if (!etc || etc.isDirectory()) {
        for (const f of ['hosts', 'hostname', 'resolv.conf']) {
          if (!(await fsp.lstat(path.join(tmp, 'etc', f)).catch(() => undefined))) await fsp.writeFile(path.join(tmp, 'etc', f), '', { mode: 0o644 });
        }
      }
      await fsp.rename(tmp, base);
    } catch (e) {
      await fsp.rm(tmp, { recursive: true, force: true });
      throw e;
    }
    return base;
  }

  private async usedKeys(): Promise<Set<string>> {
    const keys = new Set<string>();
    for (const name of await fsp.readdir(this.root).catch(() => [] as string[])) {
      if (name === 'images') continue;
      const key = await fsp.readFile(path.join(this.root, name, 'base'), 'utf8').catch(() => '');
      if (key) keys.add(key);
    }
    return keys;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

const exists = (p: string) => fsp.lstat(p).then(() => true, () => false);

/** One base per list of layers (an image's chain). */
function baseKey(lowerDirs: string[]): string {
  return createHash('sha256').update(lowerDirs.join('\n')).digest('hex').slice(0, 32);
}

/**
 * Apply one unpacked layer (overlay form: whiteouts are 0:0 character devices, opaque dirs
 * carry trusted.overlay.opaque) onto dest. The layer is Wharf's own; in dest, every directory
 * on the way is made a real one before anything is written below it, so no symlink of an
 * earlier layer is ever followed.
 */
async function mergeLayer(layer: string, dest: string): Promise<void> {
  const opaque = await opaqueDirs(layer);
  const dirs: [string, Stats][] = [];
  const h = await openDir(layer);
  try {
    await walkTree(h, async (e) => {
      const dst = path.join(dest, e.rel);
      const cur = await fsp.lstat(dst).catch(() => undefined);
      if (isOverlayWhiteout(e.st)) {
        if (cur) await fsp.rm(dst, { recursive: true, force: true });
        return 'skip';
      }
      if (e.st.isDirectory()) {
        if (cur && !cur.isDirectory()) await fsp.rm(dst, { force: true });
        if (!cur?.isDirectory()) await fsp.mkdir(dst);
        else if (opaque.has(e.rel)) for (const n of await fsp.readdir(dst)) await fsp.rm(path.join(dst, n), { recursive: true, force: true });
        dirs.push([dst, e.st]);
        return undefined;
      }
      if (cur) await fsp.rm(dst, { recursive: true, force: true });
      await copyEntry(e, dst, false);
      return undefined;
    });
  } finally {
    await h.close();
  }
  for (const [d, st] of dirs.reverse()) await setMeta(d, st);
}

/**
 * The changes of rootfs (a container's, untrusted: walked through pinned directories) against
 * base, written to out as an overlay upper dir: what was added or changed is copied, a deleted
 * name is a 0:0 character device, and the directories on the way are there (as overlayfs
 * copies them up). A file is unchanged when its type, mode, owner, size and mtime are, as
 * Docker's vfs diff decides; a directory when its mode and owner are.
 */
async function diffTrees(rootfs: string, base: string, out: string): Promise<void> {
  const baseDirs = new Set<string>(['']);
  const rootfsDirs = new Map<string, Stats>();
  const made = new Set<string>(['']);
  const outDirs: [string, Stats][] = [];
  const makeDir = async (rel: string) => {
    if (made.has(rel)) return;
    const parent = path.posix.dirname(rel);
    await makeDir(parent === '.' ? '' : parent);
    await fsp.mkdir(path.join(out, rel));
    made.add(rel);
    const st = rootfsDirs.get(rel);
    if (st) outDirs.push([path.join(out, rel), st]);
  };
  const whiteouts = async (rel: string, names: string[]) => {
    const have = new Set(names);
    for (const n of await fsp.readdir(path.join(base, rel)).catch(() => [] as string[])) {
      if (have.has(n)) continue;
      await makeDir(rel);
      await run('mknod', ['-m', '000', '--', path.join(out, rel, n), 'c', '0', '0']);
    }
  };
  const root = await openDir(rootfs);
  try {
    await whiteouts('', await fsp.readdir(at(root)));
    await walkTree(root, async (e) => {
      const parent = path.posix.dirname(e.rel) === '.' ? '' : path.posix.dirname(e.rel);
      // Looked up in base only below directories that are real there (never through a symlink of the image's).
      const b = baseDirs.has(parent) ? await fsp.lstat(path.join(base, e.rel)).catch(() => undefined) : undefined;
      if (e.st.isDirectory()) {
        rootfsDirs.set(e.rel, e.st);
        if (b?.isDirectory()) {
          baseDirs.add(e.rel);
          if (b.mode !== e.st.mode || b.uid !== e.st.uid || b.gid !== e.st.gid) await makeDir(e.rel);
          let names: string[];
          try {
            const sub = await openDirAt(e.dir, e.name);
            try {
              names = await fsp.readdir(at(sub));
            } finally {
              await sub.close();
            }
          } catch {
            return 'skip'; // changed while walked
          }
          await whiteouts(e.rel, names);
        } else await makeDir(e.rel);
        return undefined;
      }
      if (b && !b.isDirectory() && b.mode === e.st.mode && b.uid === e.st.uid && b.gid === e.st.gid && b.rdev === e.st.rdev && b.size === e.st.size && b.mtimeMs === e.st.mtimeMs) return undefined;
      await makeDir(parent);
      await copyEntry(e, path.join(out, e.rel), true).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err; // gone meanwhile
      });
      return undefined;
    });
  } finally {
    await root.close();
  }
  for (const [d, st] of outDirs.reverse()) await setMeta(d, st);
}

/** Copy one non-directory entry to dst with its owner, mode and times; untrusted: never through a symlink. */
async function copyEntry(e: WalkEntry, dst: string, untrusted: boolean): Promise<void> {
  const { st } = e;
  if (st.isFile()) {
    if (untrusted) {
      const fh = await openFileAt(e.dir, e.name, st.ino);
      try {
        await pipeline(fh.createReadStream({ autoClose: false }), createWriteStream(dst, { flags: 'wx', mode: 0o600 }));
      } finally {
        await fh.close();
      }
    } else await fsp.copyFile(at(e.dir, e.name), dst);
  } else if (st.isSymbolicLink()) {
    await fsp.symlink(await fsp.readlink(at(e.dir, e.name)), dst);
  } else if (st.isCharacterDevice() || st.isBlockDevice()) {
    const { devmajor, devminor } = devNumbers(st.rdev);
    await run('mknod', ['--', dst, st.isCharacterDevice() ? 'c' : 'b', String(devmajor), String(devminor)]);
  } else if (st.isFIFO()) {
    await run('mknod', ['--', dst, 'p']);
  } else return; // a socket: nothing to keep
  await setMeta(dst, st);
}

async function setMeta(p: string, st: Stats): Promise<void> {
  await fsp.lchown(p, st.uid, st.gid);
  if (!st.isSymbolicLink()) await fsp.chmod(p, st.mode & 0o7777);
  await fsp.lutimes(p, st.atime, st.mtime);
}
