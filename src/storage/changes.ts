import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { openDir, walkTree } from './scoped-fs';
import { isOverlayWhiteout, opaqueDirs } from './whiteouts';

/** Docker's change kinds (docker diff): C, A, D. */
export const CHANGE_MODIFY = 0;
export const CHANGE_ADD = 1;
export const CHANGE_DELETE = 2;

export interface Change {
  Path: string;
  Kind: 0 | 1 | 2;
}

/** One entry of a container's upper dir, with what the layers below say about its path. */
export interface UpperEntry {
  /** 'a/b', relative to the root. */
  rel: string;
  whiteout: boolean;
  /** A directory marked opaque (its lower contents hidden). */
  opaque: boolean;
  /** The path exists in one of the image's layers. */
  inLower: boolean;
}

/**
 * What docker diff reports for the upper dir's entries (walk order: parents first, names
 * sorted). A whiteout is a deletion; an opaque directory that hid a lower one was deleted
 * and made again (D, then its entries as additions), as Docker's overlay driver reports it;
 * anything else is a change if the layers have the path, else an addition. Every directory
 * on the way to a change is in the upper dir too (overlayfs copies parents up), so the
 * parents of changes are reported, as C, by the same rule.
 */
export function computeChanges(entries: UpperEntry[]): Change[] {
  return entries.map((e) => {
    const Path = `/${e.rel}`;
    if (e.whiteout) return { Path, Kind: CHANGE_DELETE };
    if (e.opaque && e.inLower) return { Path, Kind: CHANGE_DELETE };
    return { Path, Kind: e.inLower ? CHANGE_MODIFY : CHANGE_ADD };
  });
}

/** Whether `rel` exists in a layer dir, looking through real directories only (no symlink followed). */
export async function existsInLayer(layer: string, rel: string): Promise<boolean> {
  const parts = rel.split('/');
  let p = layer;
  for (let i = 0; i < parts.length; i++) {
    p = path.join(p, parts[i]);
    const st = await fsp.lstat(p).catch(() => undefined);
    if (!st) return false;
    if (i < parts.length - 1 && !st.isDirectory()) return false;
    if (i === parts.length - 1) return !isOverlayWhiteout(st);
  }
  return false;
}

/** The changes in a container's upper dir against its image's layers (top first). */
export async function upperChanges(upperDir: string, lowerDirs: string[]): Promise<Change[]> {
  const exists = await fsp.access(upperDir).then(() => true, () => false);
  if (!exists) return [];
  const opaque = await opaqueDirs(upperDir);
  const entries: UpperEntry[] = [];
  const root = await openDir(upperDir);
  try {
    await walkTree(root, async (e) => {
      const whiteout = isOverlayWhiteout(e.st);
      let inLower = false;
      for (const l of lowerDirs) {
        if (await existsInLayer(l, e.rel)) {
          inLower = true;
          break;
        }
      }
      entries.push({ rel: e.rel, whiteout, opaque: e.st.isDirectory() && opaque.has(e.rel), inLower });
    });
  } finally {
    await root.close();
  }
  return computeChanges(entries);
}
