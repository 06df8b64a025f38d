import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { OverlayStorage, isMountPoint } from '../storage/overlay';
import { openDir } from '../storage/scoped-fs';

/**
 * Root filesystems a build borrows without a container: the parent image's layers below an
 * empty upper dir, mounted under <data-root>/builds. A COPY or ADD writes into one (its upper
 * dir is then the step's layer); COPY --from reads one. They are the daemon's scratch: boot
 * unmounts and deletes whatever a crash left here.
 */
export class BuildScratch {
  private readonly overlay: OverlayStorage;

  constructor(readonly root: string) {
    this.overlay = new OverlayStorage(root);
  }

  /** lowerDirs: top layer first (as ImageStore.lowerDirs gives them); none for scratch. */
  async withRootfs<T>(lowerDirs: string[], fn: (r: { root: FileHandle; path: string; upper: string }) => Promise<T>): Promise<T> {
    const key = randomBytes(12).toString('hex');
    const dir = this.overlay.dir(key);
    await Promise.all(['upper', 'work', 'merged', 'empty'].map((s) => fsp.mkdir(path.join(dir, s), { recursive: true })));
    let root: FileHandle | undefined;
    try {
      const merged = await this.overlay.mount(key, lowerDirs.length ? lowerDirs : [path.join(dir, 'empty')]);
      root = await openDir(merged);
      return await fn({ root, path: merged, upper: this.overlay.upperDir(key) });
    } finally {
      await root?.close().catch(() => undefined);
      await this.overlay.remove(key);
    }
  }

  /** Boot: nothing of a build outlives the daemon that ran it. */
  async sweep(): Promise<number> {
    const names = await fsp.readdir(this.root).catch(() => [] as string[]);
    let n = 0;
    for (const name of names) {
      if (name === 'l') continue;
      const merged = this.overlay.mergedDir(name);
      if (await isMountPoint(merged)) await this.overlay.unmount(name);
      await fsp.rm(this.overlay.dir(name), { recursive: true, force: true });
      n++;
    }
    return n;
  }
}
