import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { run } from '../runtime/exec';

/**
 * Per-container root filesystems on overlayfs: the image's layer dirs below (read-only),
 * a per-container upper dir on top, so containers never write into image layers.
 */
export class OverlayStorage {
  constructor(readonly root: string) {}

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
    const d = this.dir(id);
    await Promise.all(['upper', 'work', 'merged', 'init/etc'].map((s) => fsp.mkdir(path.join(d, s), { recursive: true })));
    await Promise.all(INIT_FILES.map((f) => fsp.writeFile(path.join(d, 'init', f), '', { flag: 'a' })));
  }

  /** Mount the container's root; lowerDirs are ordered top layer first. Idempotent. */
  async mount(id: string, lowerDirs: string[]): Promise<string> {
    const merged = this.mergedDir(id);
    if (await isMountPoint(merged)) return merged;
    const d = this.dir(id);
    const init = (await fsp.access(path.join(d, 'init')).then(() => true, () => false)) ? [path.join(d, 'init')] : [];
    const opts = `lowerdir=${[...init, ...lowerDirs].join(':')},upperdir=${d}/upper,workdir=${d}/work`;
    await run('mount', ['-t', 'overlay', 'overlay', '-o', opts, merged]);
    return merged;
  }

  async unmount(id: string): Promise<void> {
    const merged = this.mergedDir(id);
    if (!(await isMountPoint(merged))) return;
    await run('umount', [merged]).catch(async (e: Error) => {
      if (await isMountPoint(merged)) await run('umount', ['-l', merged]);
      else if (!/not mounted/.test(e.message)) throw e;
    });
  }

  async remove(id: string): Promise<void> {
    await this.unmount(id);
    await fsp.rm(this.dir(id), { recursive: true, force: true });
  }
}

const INIT_FILES = ['etc/hosts', 'etc/hostname', 'etc/resolv.conf'];

export async function isMountPoint(dir: string): Promise<boolean> {
  const mounts = await fsp.readFile('/proc/self/mounts', 'utf8');
  return mounts.split('\n').some((l) => l.split(' ')[1] === dir);
}
