import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';

// Unpacking a layer while its bytes arrive (a pull, a load): a GNU tar reads them on its
// stdin into a temp dir, which the store settles as a layer once the digests are checked.

/** A layer being unpacked by a tar reading its stdin (ImageStore.startExtract). */
export interface Extraction {
  dir: string;
  /** Written; true: wait for drained() before the next chunk. */
  mustWait(chunk: Buffer): boolean;
  /** Several buffers written at once (one writev); true: wait for drained(). */
  writev(bufs: Buffer[]): boolean;
  drained(): Promise<void>;
  end(): void;
  exited: Promise<void>;
  /**
   * Let the tar unpack everything written so far and exit, then go on with a new one in the
   * same dir: afterwards the tree holds every entry written before (the tar-split reads a
   * file a later entry replaces).
   */
  checkpoint(): Promise<void>;
  /** Kill the tar and remove what it unpacked. */
  abort(): Promise<void>;
}

/** GNU tar refuses ".." members and strips leading "/"; --same-owner keeps uids as in the layer. */
export const TAR_EXTRACT = ['-x', '--numeric-owner', '--same-owner', '--same-permissions', '--xattrs'];

function spawnTar(dir: string) {
  const child = spawn('tar', [...TAR_EXTRACT, '-f', '-', '-C', dir], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  const t = { child, open: true };
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.on('error', () => (t.open = false)); // tar stopped reading (done, or failed: its exit says)
  child.stdin.on('close', () => (t.open = false));
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(stderr.trim() || `tar exited with ${code}`))));
  });
  exited.catch(() => undefined);
  return { ...t, get open() { return t.open; }, exited };
}

/** A tar reading a layer from its stdin into a fresh dir under tmpDir. */
export async function startExtract(tmpDir: string): Promise<Extraction> {
  const dir = path.join(tmpDir, `unpack-${randomBytes(8).toString('hex')}`);
  await fsp.mkdir(dir, { recursive: true });
  let tar = spawnTar(dir);
  let earlier: Promise<void> = Promise.resolve();
  const x: Extraction = {
    dir,
    mustWait: (chunk: Buffer) => tar.open && !tar.child.stdin.write(chunk),
    writev: (bufs: Buffer[]) => {
      if (!tar.open) return false;
      if (bufs.length === 1) return !tar.child.stdin.write(bufs[0]);
      const stdin = tar.child.stdin;
      stdin.cork();
      let ok = true;
      for (const b of bufs) ok = stdin.write(b) && ok;
      stdin.uncork();
      return !ok;
    },
    drained: () => drained(tar.child.stdin),
    end: () => {
      if (tar.open) tar.child.stdin.end();
    },
    get exited() {
      return Promise.all([earlier, tar.exited]).then(() => undefined);
    },
    checkpoint: async () => {
      if (tar.open) tar.child.stdin.end();
      await tar.exited;
      earlier = tar.exited;
      tar = spawnTar(dir);
    },
    abort: async () => {
      tar.child.kill('SIGKILL');
      await tar.exited.catch(() => undefined);
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
  return x;
}

/** Wait until a writable takes more (drain) or is gone (close), leaving no listener behind. */
export function drained(w: Writable): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      w.off('drain', done);
      w.off('close', done);
      resolve();
    };
    w.on('drain', done);
    w.on('close', done);
  });
}
