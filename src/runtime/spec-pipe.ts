import { closeSync, promises as fsp, rmSync, symlinkSync } from 'node:fs';
import { Socket } from 'node:net';
import path from 'node:path';
import { nativePipe } from './monitor-spawn';

/**
 * A bundle's config.json as a pipe of the daemon's: a link to the read end
 * (/proc/<daemon>/fd/<n>), which `runc create` opens and reads the spec from, waiting until the
 * daemon writes it. conmon, and runc's own start-up up to that read, can then run while the
 * start's intent is written and its root filesystem mounted; runc does nothing (no cgroup,
 * namespace or mount) before it has the spec, and the daemon writes it only after the intent
 * is durable. A daemon gone before then takes both ends with it: runc finds no config.json,
 * or reads its end, and fails; conmon reports that and exits, leaving nothing. The link names
 * a descriptor number: a cancelled pipe's read end is kept until its conmon is gone, so that
 * number is not another container's pipe when a runc still starting up opens the link.
 */
export class SpecPipe {
  private readonly file: string;
  private readonly out: Socket;
  private readFd: number | undefined;

  private constructor(bundle: string, readFd: number, writeFd: number) {
    this.file = path.join(bundle, 'config.json');
    this.readFd = readFd;
    this.out = new Socket({ fd: writeFd, readable: false, writable: true });
    this.out.on('error', () => undefined); // closed early (a cancelled start): runc fails on its own
    rmSync(this.file, { force: true });
    symlinkSync(`/proc/${process.pid}/fd/${readFd}`, this.file);
  }

  /** One in the bundle, or null without the addon (then config.json is written as a file). */
  static open(bundle: string): SpecPipe | null {
    const fds = nativePipe();
    if (!fds) return null;
    try {
      return new SpecPipe(bundle, fds[0], fds[1]);
    } catch (e) {
      for (const fd of fds) closeSync(fd);
      throw e;
    }
  }

  /** Hand the spec to runc (the pipe holds it until runc reads it, however late). */
  write(spec: Record<string, unknown>): void {
    this.out.end(JSON.stringify(spec));
  }

  /**
   * Once the container runs: config.json becomes the spec as a file, as any bundle has it (in
   * the background: nothing waits for it; a bundle that cannot be written keeps the link).
   */
  keep(spec: Record<string, unknown>): void {
    const tmp = `${this.file}.tmp`;
    fsp
      .writeFile(tmp, JSON.stringify(spec))
      .then(() => fsp.rename(tmp, this.file))
      .catch(() => undefined);
  }

  /**
   * Cancel: the write end goes, so a runc waiting for the spec reads an end of file and fails.
   * The read end stays until its conmon is gone (closeRead): its number must not be reused by
   * another container's pipe while this runc may still open the link.
   */
  closeWrite(): void {
    this.out.destroy();
  }

  closeRead(): void {
    if (this.readFd !== undefined) closeSync(this.readFd);
    this.readFd = undefined;
  }

  /** Both ends (runc create is over: it read the spec, or failed). */
  close(): void {
    this.closeWrite();
    this.closeRead();
  }
}
