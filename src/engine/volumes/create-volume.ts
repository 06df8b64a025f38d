import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { internal, invalidArgument, notFound, WharfError } from '../../domain/errors';
import { newId } from '../../domain/ids';
import { decideCreateVolume, invalidVolumeName, validVolumeName, type VolumeView } from '../../domain/volume';

import { crashPoint } from '../lib/crash-point';
import { pathErrorText } from '../lib/fs-error';

import type { EngineDeps } from '../ports';

/** What create-volume uses of the engine. */
export type CreateVolumeDeps = Pick<EngineDeps, 'journal' | 'views' | 'volumes' | 'log' | 'locks'>;
export interface VolumeCreateRequest {
  /** Absent or '': a 64-hex name is made up. */
  name?: string;
  driver?: string;
  labels?: Record<string, string> | null;
  options?: Record<string, string> | null;
}

const LOCAL_OPTION_KEYS = ['type', 'device', 'o', 'size'];

/** Validate a create request against the local driver (pure). */
export function checkVolumeRequest(r: VolumeCreateRequest): void {
  const driver = r.driver || 'local';
  if (driver !== 'local') throw notFound(`error looking up volume plugin ${driver}: plugin "${driver}" not found`);
  if (r.name && !validVolumeName(r.name)) throw invalidVolumeName(r.name);
  for (const k of Object.keys(r.options ?? {})) {
    if (!LOCAL_OPTION_KEYS.includes(k)) throw invalidArgument(`invalid option key: "${k}"`);
  }
  if (Object.keys(r.options ?? {}).length) {
    throw new WharfError('not-implemented', 'options of the local volume driver (type, device, o, size) are not supported by wharf yet');
  }
}

/**
 * volume create: its directory first, then the fact (volume.created). A directory that cannot
 * be made (a name too long for the file system, a full disk) fails the create with Docker's
 * message and records nothing. A journal that refuses the fact gets the directory removed
 * again when this create made it; a crash in between leaves a directory the journal does not
 * know, which the boot sweep takes away. Creating a volume that exists returns it, as Docker does.
 */
export async function createVolume(ctx: CreateVolumeDeps, r: VolumeCreateRequest): Promise<VolumeView> {
  checkVolumeRequest(r);
  const name = r.name || newId();
  return ctx.locks.run(`volume:${name}`, async () => {
    const decided = decideCreateVolume(ctx.views.volumes.get(name), name, r, new Date().toISOString().replace(/\.\d+Z$/, 'Z'));
    if ('existing' in decided) return decided.existing;
    const root = path.join(ctx.volumes.root, name);
    const leftOver = await fsp.lstat(root).then(() => true, () => false);
    try {
      await ctx.volumes.create(name);
    } catch (e) {
      if (!leftOver) await ctx.volumes.remove(name).catch(() => undefined);
      throw internal(`create ${name}: error while creating volume root path '${root}': ${pathErrorText(e)}`);
    }
    crashPoint('volume.after-mkdir');
    try {
      await ctx.journal.append(decided.events);
    } catch (e) {
      if (!leftOver) await ctx.volumes.remove(name).catch((err: Error) => ctx.log.warn({ volume: name, err: err.message }, 'cannot remove the directory of a volume the journal refused'));
      throw e;
    }
    return ctx.views.volumes.get(name)!;
  });
}
