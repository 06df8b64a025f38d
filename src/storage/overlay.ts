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

  /** Make the upper/work dirs for a new container. */
  async prepare(id: string): Promise<void> {
    const d = this.dir(id);
    await Promise.all(['upper', 'work', 'merged'].map((s) => fsp.mkdir(path.join(d, s), { recursive: true })));
  }

  /** Mount the container's root; lowerDirs are ordered top layer first. Idempotent. */
  async mount(id: string, lowerDirs: string[]): Promise<string> {
    const merged = this.mergedDir(id);
    if (await isMountPoint(merged)) return merged;
    const d = this.dir(id);
    const opts = `lowerdir=${lowerDirs.join(':')},upperdir=${d}/upper,workdir=${d}/work`;
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

export async function isMountPoint(dir: string): Promise<boolean> {
  const mounts = await fsp.readFile('/proc/self/mounts', 'utf8');
  return mounts.split('\n').some((l) => l.split(' ')[1] === dir);
}
