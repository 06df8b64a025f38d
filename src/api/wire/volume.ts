import type { VolumeSummary } from '../../wire/docker';
import type { VolumeView } from '../../domain/volume';

/** Docker's Volume object (GET /volumes, /volumes/{name}, POST /volumes/create). */
export function toVolume(v: VolumeView, mountpoint: string): VolumeSummary {
  return {
    CreatedAt: v.createdAt,
    Driver: v.driver,
    Labels: v.labels,
    Mountpoint: mountpoint,
    Name: v.name,
    Options: v.options,
    Scope: 'local',
  };
}
