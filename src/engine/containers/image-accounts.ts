import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ContainerView } from '../../domain/container';
import type { EngineDeps } from '../ports';

/** A root's /etc/passwd and /etc/group ('' when absent). */
export interface Accounts {
  passwd: string;
  group: string;
}

const byImage = new Map<string, Accounts>();
const MAX_IMAGES = 64;

/**
 * The /etc/passwd and /etc/group a start resolves its user with. An image's are its layers'
 * and never change (its id names its content): read once per image and kept, and used for a
 * container whose own layer has no /etc (overlay: its upper dir, where every change it made
 * lives; the init layer below it holds only hosts, hostname and resolv.conf). A container that
 * wrote under /etc, or a root on another driver, is read each time.
 */
export function accountsOf(ctx: Pick<EngineDeps, 'storage'>, c: Pick<ContainerView, 'id' | 'imageId'>, rootfs: string): Accounts {
  const imageOnly = ctx.storage.driver === 'overlay2' && !existsSync(path.join(ctx.storage.upperDir(c.id), 'etc'));
  const known = imageOnly ? byImage.get(c.imageId) : undefined;
  if (known) return known;
  // Synchronous: two small files, cheaper than their trips through libuv's thread pool.
  const read = (f: string) => {
    try {
      return readFileSync(path.join(rootfs, f), 'utf8');
    } catch {
      return '';
    }
  };
  const accounts = { passwd: read('etc/passwd'), group: read('etc/group') };
  if (imageOnly) {
    if (byImage.size >= MAX_IMAGES) byImage.delete(byImage.keys().next().value as string);
    byImage.set(c.imageId, accounts);
  }
  return accounts;
}
