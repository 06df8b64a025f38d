import { conflict, invalidArgument, notFound, WharfError } from '../domain/errors';
import { newId } from '../domain/ids';
import { invalidVolumeName, validVolumeName, type VolumeView } from '../domain/volume';
import type { EngineContext } from './context';

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
 * volume create: the fact first (volume.created), then its directory. A crash in between
 * leaves a volume the view knows whose directory boot recovery makes; never a directory the
 * journal does not know. Creating a volume that exists returns it, as Docker does.
 */
export async function createVolume(ctx: EngineContext, r: VolumeCreateRequest): Promise<VolumeView> {
  checkVolumeRequest(r);
  const name = r.name || newId();
  return ctx.locks.run(`volume:${name}`, async () => {
    const existing = ctx.views.volumes.get(name);
    if (existing?.status === 'removing') throw conflict(`volume ${name} is being removed`);
    if (existing) return existing;
    await ctx.journal.append([
      {
        type: 'volume.created',
        data: {
          id: name,
          driver: 'local',
          createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          labels: r.labels ?? null,
          options: r.options ?? null,
        },
      },
    ]);
    await ctx.volumes.create(name);
    return ctx.views.volumes.get(name)!;
  });
}
