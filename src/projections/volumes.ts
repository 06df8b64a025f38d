import type { Envelope } from '../domain/envelope';
import { evolveVolume, type VolumeView } from '../domain/volume';

/** Volumes by name. A record replaces the volume it concerns (domain/volume.ts folds it). */
export type VolumesView = Map<string, VolumeView>;

export function evolveVolumes(volumes: VolumesView, e: Envelope): VolumesView {
  if (!e.type.startsWith('volume.')) return volumes;
  const after = evolveVolume(volumes.get(e.data.id), e);
  if (after) volumes.set(e.data.id, after);
  else volumes.delete(e.data.id);
  return volumes;
}
