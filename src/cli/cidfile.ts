import { closeSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { goPathError } from './os-error';

/**
 * --cidfile: the docker CLI's container ID file. It must not exist yet (another container
 * may own it); it is created before the container and gets the id once there is one, or
 * is removed again when creating fails.
 */
export class CidFile {
  private fd?: number;
  private written = false;

  constructor(readonly path?: string) {
    if (!path) return;
    let exists = true;
    try {
      statSync(path);
    } catch {
      exists = false;
    }
    if (exists) throw new Error(`container ID file found, make sure the other container isn't running or delete ${path}`);
    try {
      this.fd = openSync(path, 'w', 0o666);
    } catch (e) {
      throw new Error(`failed to create the container ID file: ${goPathError('open', path, e).message}`);
    }
  }

  write(id: string): void {
    if (this.fd === undefined || !this.path) return;
    try {
      writeSync(this.fd, id);
    } catch (e) {
      throw new Error(`failed to write the container ID to the file: ${goPathError('write', this.path, e).message}`);
    }
    this.written = true;
  }

  /** Close it; without an id in it, it goes. */
  close(): void {
    if (this.fd === undefined || !this.path) return;
    closeSync(this.fd);
    this.fd = undefined;
    if (!this.written) rmSync(this.path, { force: true });
  }
}
