import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { run } from '../runtime/exec';
import { dirSize } from '../storage/dir-size';

/**
 * The local volume driver's disk: <root>/<name>/_data per volume, as Docker lays it out.
 * Knows nothing of the journal: the engine records each volume's facts before and after
 * touching its directory, so every operation here is idempotent.
 */
export class LocalVolumes {
  constructor(readonly root: string) {}

  async init(): Promise<void> {
    await fsp.mkdir(this.root, { recursive: true, mode: 0o701 });
  }

  dataDir(name: string): string {
    return path.join(this.root, name, '_data');
  }

  /** Make the volume's directory (again). */
  async create(name: string): Promise<void> {
    await fsp.mkdir(path.join(this.root, name), { recursive: true, mode: 0o701 });
    await fsp.mkdir(this.dataDir(name), { recursive: true, mode: 0o755 });
  }

  async remove(name: string): Promise<void> {
    await fsp.rm(path.join(this.root, name), { recursive: true, force: true });
  }

  async isEmpty(name: string): Promise<boolean> {
    const entries = await fsp.readdir(this.dataDir(name)).catch(() => [] as string[]);
    return entries.length === 0;
  }

  size(name: string): Promise<number> {
    return dirSize(this.dataDir(name));
  }

  /** Names of the volume directories on disk. */
  async list(): Promise<string[]> {
    return fsp.readdir(this.root).catch(() => [] as string[]);
  }

  /**
   * Docker's copy-up: the content (and the owner and mode) of a directory of the image fills
   * an empty volume. `source` is a pinned directory (/proc/<pid>/fd/<n>), never a path a
   * container could redirect with a symlink.
   */
  async copyInto(name: string, source: string): Promise<void> {
    await run('cp', ['-a', `${source}/.`, `${this.dataDir(name)}/`]);
  }
}
