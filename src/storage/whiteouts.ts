import type { Stats } from 'node:fs';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { run } from '../runtime/exec';

/**
 * Deletions in a layer, in the two forms they take. overlayfs (a container's upper dir, an
 * unpacked layer): a deleted name is a character device 0:0, a directory whose lower
 * contents are hidden has the xattr trusted.overlay.opaque=y. Layer tars (OCI/Docker): a
 * deleted name is an empty file ".wh.<name>", an opaque directory holds ".wh..wh..opq".
 */
export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
export const OPAQUE_XATTR = 'trusted.overlay.opaque';

/** An overlayfs whiteout: a character device with device number 0:0. */
export function isOverlayWhiteout(st: Pick<Stats, 'isCharacterDevice' | 'rdev'>): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/** The tar name that records the deletion of `rel` ('a/b' → 'a/.wh.b'). */
export function whiteoutTarName(rel: string): string {
  const dir = path.posix.dirname(rel);
  const base = path.posix.basename(rel);
  return dir === '.' ? `${WHITEOUT_PREFIX}${base}` : `${dir}/${WHITEOUT_PREFIX}${base}`;
}

/** The tar name that marks directory `relDir` opaque ('a' → 'a/.wh..wh..opq'). */
export function opaqueTarName(relDir: string): string {
  return relDir ? `${relDir}/${OPAQUE_MARKER}` : OPAQUE_MARKER;
}

/** What a layer-tar name means: an opaque marker, the whiteout of a sibling, or a plain file. */
export function parseTarWhiteout(name: string): { kind: 'opaque'; dir: string } | { kind: 'whiteout'; target: string } | undefined {
  const clean = name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  const base = path.posix.basename(clean);
  const dir = path.posix.dirname(clean);
  if (base === OPAQUE_MARKER) return { kind: 'opaque', dir: dir === '.' ? '' : dir };
  if (base.startsWith(WHITEOUT_PREFIX) && base.length > WHITEOUT_PREFIX.length) {
    const target = base.slice(WHITEOUT_PREFIX.length);
    return { kind: 'whiteout', target: dir === '.' ? target : `${dir}/${target}` };
  }
  return undefined;
}

/**
 * The directories under `root` (paths relative to it) that are overlay-opaque. One getfattr
 * over the tree, physical walk (no symlink followed).
 */
export async function opaqueDirs(root: string): Promise<Set<string>> {
  const out = new Set<string>();
  let text = '';
  try {
    ({ stdout: text } = await run('getfattr', ['-R', '-P', '--absolute-names', '-d', '-m', `^${OPAQUE_XATTR.replace(/\./g, '\\.')}$`, '-e', 'text', '--', root]));
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') throw new Error('getfattr is not installed (apt-get install attr)');
    // Files that vanish during the walk make getfattr complain; what it printed still holds.
    text = '';
  }
  let file: string | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('# file: ')) file = unescapeGetfattr(line.slice(8));
    else if (file && line === `${OPAQUE_XATTR}="y"`) {
      const rel = path.relative(root, file);
      if (!rel.startsWith('..')) out.add(rel);
    }
  }
  return out;
}

/** getfattr writes unusual bytes of names as \ooo octal escapes and "\" as "\\". */
export function unescapeGetfattr(s: string): string {
  const bytes: number[] = [];
  const raw = Buffer.from(s, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0x5c && i + 3 < raw.length && /^[0-7]{3}$/.test(raw.subarray(i + 1, i + 4).toString())) {
      bytes.push(parseInt(raw.subarray(i + 1, i + 4).toString(), 8));
      i += 3;
    } else if (raw[i] === 0x5c && raw[i + 1] === 0x5c) {
      bytes.push(0x5c);
      i += 1;
    } else bytes.push(raw[i]);
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * After a layer tar is unpacked into `dir` (not yet in use by any mount): turn its ".wh."
 * files into overlayfs whiteouts, so the dir works as an overlay lower layer.
 */
export async function tarWhiteoutsToOverlay(dir: string): Promise<number> {
  const { stdout } = await run('find', [dir, '-name', `${WHITEOUT_PREFIX}*`, '-print0']);
  const found = stdout.split('\0').filter(Boolean);
  for (const file of found) {
    const rel = path.relative(dir, file);
    const w = parseTarWhiteout(rel);
    if (!w) continue;
    await fsp.rm(file, { force: true });
    if (w.kind === 'opaque') {
      await run('setfattr', ['-n', OPAQUE_XATTR, '-v', 'y', '--', path.join(dir, w.dir)]);
    } else {
      const target = path.join(dir, w.target);
      await fsp.rm(target, { recursive: true, force: true });
      await run('mknod', ['-m', '000', '--', target, 'c', '0', '0']);
    }
  }
  return found.length;
}
