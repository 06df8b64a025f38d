import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, promises as fsp, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run } from '../runtime/exec';
import { mountFs, unmountFs } from './sys-mount';

/**
 * Per-container root filesystems on overlayfs: the image's layer dirs below (read-only),
 * a per-container upper dir on top, so containers never write into image layers.
 */
export class OverlayStorage {
  readonly driver = 'overlay2';
  constructor(readonly root: string) {}

  /** The upper dir is the live writable layer: always up to date (the vfs driver writes its own on demand). */
  async refreshUpper(_id: string): Promise<void> {}

  async init(): Promise<void> {
    await fsp.mkdir(this.root, { recursive: true });
  }

  dir(id: string): string {
    return path.join(this.root, id);
  }

  mergedDir(id: string): string {
    return path.join(this.dir(id), 'merged');
  }

  upperDir(id: string): string {
    return path.join(this.dir(id), 'upper');
  }

  /**
   * Make the upper/work dirs for a new container, and its init layer: the mount points of
   * the files the runtime binds over (/etc/hosts, /etc/hostname, /etc/resolv.conf) live
   * below the upper dir, as in Docker's "-init" layer, so they never show as changes.
   */
  async prepare(id: string): Promise<void> {
    // Synchronous: a few metadata calls of some µs each, where each trip through libuv's
    // thread pool costs a start far more (milliseconds on a loaded machine).
    const d = this.dir(id);
    for (const s of ['upper', 'work', 'merged', 'init/etc']) mkdirSync(path.join(d, s), { recursive: true });
    for (const f of INIT_FILES) writeFileSync(path.join(d, 'init', f), '', { flag: 'a' });
  }

  /** Mount the container's root; lowerDirs are ordered top layer first. Idempotent. */
  async mount(id: string, lowerDirs: string[]): Promise<string> {
    const merged = this.mergedDir(id);
    // Synchronous: two small reads, cheaper than two trips through libuv's thread pool on a start.
    if (isMountPointSync(merged)) return merged;
    const d = this.dir(id);
    const init = existsSync(path.join(d, 'init')) ? [path.join(d, 'init')] : [];
    const lower = [...init, ...lowerDirs];
    let opts = `lowerdir=${lower.join(':')},upperdir=${d}/upper,workdir=${d}/work`;
    let cwd: string | undefined;
    if (opts.length > MAX_MOUNT_OPTIONS) {
      // Too long for the kernel (one page): as Docker does, short relative links
      // (l/<16 hex> → the layer dir) and the mount run from the dir that holds them.
      cwd = this.root;
      opts = `lowerdir=${(await Promise.all(lower.map((l) => this.shortLink(l)))).join(':')},upperdir=${d}/upper,workdir=${d}/work`;
    }
    if (cwd) await run('mount', ['-t', 'overlay', 'overlay', '-o', opts, merged], { cwd });
    else await mountFs('overlay', 'overlay', merged, opts);
    return merged;
  }

  /** `l/<hash of dir>`, a link to dir under this storage's root (made once, kept). */
  private async shortLink(dir: string): Promise<string> {
    const name = path.join('l', createHash('sha256').update(dir).digest('hex').slice(0, 16));
    await fsp.mkdir(path.join(this.root, 'l'), { recursive: true });
    await fsp.symlink(dir, path.join(this.root, name)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
    return name;
  }

  /** Boot: drop short links whose layer dir is gone. */
  async sweepLinks(): Promise<void> {
    const dir = path.join(this.root, 'l');
    for (const name of await fsp.readdir(dir).catch(() => [] as string[])) {
      const link = path.join(dir, name);
      if (!(await fsp.stat(link).then(() => true, () => false))) await fsp.rm(link, { force: true });
    }
  }

  async unmount(id: string): Promise<void> {
    const merged = this.mergedDir(id);
    if (!(await isMountPoint(merged))) return;
    await unmountFs(merged).catch(async (e: Error) => {
      if (await isMountPoint(merged)) await unmountFs(merged, true);
      else if (!/not mounted/.test(e.message)) throw e;
    });
  }

  async remove(id: string): Promise<void> {
    await this.unmount(id);
    await fsp.rm(this.dir(id), { recursive: true, force: true });
  }
}

const INIT_FILES = ['etc/hosts', 'etc/hostname', 'etc/resolv.conf'];
/** The kernel reads mount options from one page; leave room for the rest of the line. */
const MAX_MOUNT_OPTIONS = 3800;

export async function isMountPoint(dir: string): Promise<boolean> {
  return mountedAt(await fsp.readFile('/proc/self/mounts', 'utf8'), dir);
}

export function isMountPointSync(dir: string): boolean {
  return mountedAt(readFileSync('/proc/self/mounts', 'utf8'), dir);
}

function mountedAt(mounts: string, dir: string): boolean {
  return mounts.split('\n').some((l) => l.split(' ')[1] === dir);
}
