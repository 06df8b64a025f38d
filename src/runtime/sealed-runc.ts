import { rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { sealedCopy } from './monitor-spawn';

/**
 * runc 1.1 copies its own binary into a sealed memfd at every `runc init` and runs itself again
 * from there, unless it already runs from one (CVE-2019-5736: a container must not be able to
 * overwrite the host's runc through /proc/self/exe). Here that copy is made once, at boot, and
 * conmon runs runc through a link to it (<dir>/runc -> /proc/<daemon>/fd/<n>, so ps still says
 * runc): a copy and an exec less in every container start and exec (about 4 ms). It is the runc of
 * the daemon's boot: a runc upgraded on the host is used from the next boot. Without the addon
 * (or if the copy fails), conmon runs runc itself.
 */
export function linkSealedCopy(runc: string, dir: string): string {
  let fd: number | null;
  try {
    fd = sealedCopy(runc);
  } catch {
    return runc;
  }
  if (fd === null) return runc;
  const link = path.join(dir, 'runc');
  rmSync(link, { force: true });
  symlinkSync(`/proc/${process.pid}/fd/${fd}`, link);
  return link;
}
