import { loadAddon } from '../native/addon';
import { run } from '../runtime/exec';

interface NativeMount {
  mount(source: string, target: string, fstype: string, flags: number, data: string): void;
  umount(target: string, flags: number): void;
}

let native: NativeMount | null | undefined;

/**
 * mount(2)/umount2(2) through the addon (src/native/sysmount.c, built by
 * scripts/build-native.sh into build/native/); null when it is not built here.
 */
function loadNative(): NativeMount | null {
  if (native === undefined) native = process.env.WHARF_NO_NATIVE_MOUNT ? null : loadAddon<NativeMount>('sysmount.node');
  return native;
}

const MNT_DETACH = 2;

/**
 * `mount -t <fstype> <source> -o <options> <target>`: the syscall itself when the addon is
 * there (a start saves the fork and exec of mount(8)), else mount(8). Options are data the
 * filesystem reads (overlay's lowerdir=..., tmpfs's size=...), no mount flags.
 */
export async function mountFs(fstype: string, source: string, target: string, options: string): Promise<void> {
  const n = loadNative();
  if (n) return n.mount(source, target, fstype, 0, options);
  await run('mount', ['-t', fstype, source, '-o', options, target]);
}

/** `umount <target>`, or `umount -l` (lazily, MNT_DETACH) when lazy. */
export async function unmountFs(target: string, lazy = false): Promise<void> {
  const n = loadNative();
  if (n) {
    try {
      return n.umount(target, lazy ? MNT_DETACH : 0);
    } catch (e) {
      // As umount(8) words it, so callers can tell "not mounted" apart.
      if ((e as NodeJS.ErrnoException).code === 'EINVAL') throw new Error(`umount: ${target}: not mounted.`);
      throw e;
    }
  }
  await run('umount', [...(lazy ? ['-l'] : []), target]);
}

/** Whether mounts go through the addon (the syscall) or mount(8). */
export function mountMethod(): 'syscall' | 'mount(8)' {
  return loadNative() ? 'syscall' : 'mount(8)';
}
