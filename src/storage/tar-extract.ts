import { constants as C, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { run } from '../runtime/exec';
import { at, openDirAt, removeTreeAt, resolveInRoot, type Resolution } from './scoped-fs';

export interface ExtractOptions {
  /** Refuse to replace a directory with a non-directory or the reverse (docker cp's default). */
  noOverwriteDirNonDir: boolean;
  /** Owner of everything extracted; undefined keeps the archive's ids. */
  chown?: { uid: number; gid: number };
}

export class ExtractError extends Error {}

/**
 * Where an archive member lands, relative to the extraction directory: its cleaned name,
 * or an error for a name that climbs out of it ("../x", "a/../../x"). A leading "/" is
 * relative to the extraction directory, as Docker's untar has it. '' is the directory itself.
 */
export function memberPath(name: string): string {
  const clean = path.posix.normalize(`/${name}`).replace(/^\/+/, '').replace(/\/+$/, '');
  // normalize('/../x') gives '/x': check what a plain join would have given.
  const joined = path.posix.normalize(name.replace(/^\/+/, ''));
  if (joined === '..' || joined.startsWith('../')) throw new ExtractError(`${JSON.stringify(name)} is outside of the extraction directory`);
  return clean === '.' ? '' : clean;
}

/**
 * Extract a tar stream into the directory `dest` (a path in the container, already known to
 * be a directory), everything resolved from the pinned root: a symlink met on the way is
 * followed inside the root only; the member itself is never written through a symlink.
 */
export async function extractInto(root: FileHandle, dest: string, source: Readable, o: ExtractOptions): Promise<void> {
  const extract = tar.extract();
  source.pipe(extract as unknown as NodeJS.WritableStream);
  source.on('error', (e) => (extract as unknown as { destroy(e: Error): void }).destroy(e));
  const dirTimes: { p: string; mtime: Date }[] = [];
  let cached: { key: string; r: Resolution } | undefined;
  const parentOf = async (rel: string): Promise<Resolution> => {
    const key = path.posix.dirname(rel);
    if (cached?.key === key) return cached.r;
    if (cached) await cached.r.release();
    cached = undefined;
    const r = await resolveInRoot(root, key === '.' ? dest : `${dest}/${key}`, { followLast: true, mkdirs: true });
    if (r.name !== '') {
      await r.release();
      throw new ExtractError(`${r.path}: not a directory`);
    }
    cached = { key, r };
    return r;
  };
  try {
    for await (const entry of extract) {
      const h = entry.header;
      try {
        const rel = memberPath(h.name);
        if (rel === '' || (h.type as string) === 'pax-header' || (h.type as string) === 'pax-global-header') continue;
        const parent = await parentOf(rel);
        const base = path.posix.basename(rel);
        const shown = `${dest.replace(/\/$/, '')}/${rel}`;
        const isDir = h.type === 'directory';
        let existing = await fsp.lstat(at(parent.dir, base)).catch(() => undefined);
        if (existing) {
          if (o.noOverwriteDirNonDir && existing.isDirectory() && !isDir) {
            throw new ExtractError(`cannot overwrite directory ${JSON.stringify(shown)} with non-directory ${JSON.stringify(dest)}`);
          }
          if (o.noOverwriteDirNonDir && !existing.isDirectory() && isDir) {
            throw new ExtractError(`cannot overwrite non-directory ${JSON.stringify(shown)} with directory ${JSON.stringify(dest)}`);
          }
          if (!(existing.isDirectory() && isDir)) {
            await removeTreeAt(parent.dir, base);
            existing = undefined;
          }
        }
        const uid = o.chown?.uid ?? h.uid ?? 0;
        const gid = o.chown?.gid ?? h.gid ?? 0;
        const mode = (h.mode ?? 0o644) & 0o7777;
        const mtime = h.mtime ?? new Date();
        switch (h.type) {
          case 'directory': {
            if (!existing) await fsp.mkdir(at(parent.dir, base), 0o700);
            const d = await openDirAt(parent.dir, base);
            try {
              await d.chown(uid, gid);
              await d.chmod(mode);
            } finally {
              await d.close();
            }
            dirTimes.push({ p: `${dest}/${rel}`, mtime });
            break;
          }
          case 'file':
          case 'contiguous-file': {
            const f = await fsp.open(at(parent.dir, base), C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
            try {
              for await (const chunk of entry) await f.write(chunk as Buffer);
              await f.chown(uid, gid);
              await f.chmod(mode);
              await f.utimes(mtime, mtime);
            } finally {
              await f.close();
            }
            break;
          }
          case 'symlink':
            await fsp.symlink(h.linkname ?? '', at(parent.dir, base));
            await fsp.lchown(at(parent.dir, base), uid, gid);
            await fsp.lutimes(at(parent.dir, base), mtime, mtime);
            break;
          case 'link': {
            const target = memberPath(h.linkname ?? '');
            const t = await resolveInRoot(root, `${dest}/${target}`, { followLast: false });
            try {
              if (!t.name) throw new ExtractError(`invalid hard link target ${JSON.stringify(h.linkname)}`);
              await fsp.link(at(t.dir, t.name), at(parent.dir, base));
            } finally {
              await t.release();
            }
            break;
          }
          case 'character-device':
          case 'block-device':
          case 'fifo': {
            // mknod(2) is not in node: the mknod tool, through this process's pinned fd.
            const node = `/proc/${process.pid}/fd/${parent.dir.fd}/${base}`;
            const kind = h.type === 'fifo' ? ['p'] : [h.type === 'character-device' ? 'c' : 'b', String(h.devmajor ?? 0), String(h.devminor ?? 0)];
            await run('mknod', ['-m', mode.toString(8), '--', node, ...kind]);
            await fsp.lchown(at(parent.dir, base), uid, gid);
            break;
          }
          default:
            break; // other types (GNU sparse, volume labels) are skipped
        }
      } finally {
        entry.resume();
      }
    }
    // Directory times last: adding their entries changed them.
    for (const d of dirTimes.reverse()) {
      const r = await resolveInRoot(root, d.p, { followLast: false }).catch(() => undefined);
      if (!r) continue;
      await (r.name ? fsp.lutimes(at(r.dir, r.name), d.mtime, d.mtime) : r.dir.utimes(d.mtime, d.mtime)).catch(() => undefined);
      await r.release();
    }
  } finally {
    if (cached) await cached.r.release();
  }
}
