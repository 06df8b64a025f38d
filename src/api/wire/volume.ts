import type { VolumeView } from '../../domain/volume';

/** Docker's Volume object (GET /volumes, /volumes/{name}, POST /volumes/create). */
export function toVolume(v: VolumeView, mountpoint: string): Record<string, unknown> {
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
