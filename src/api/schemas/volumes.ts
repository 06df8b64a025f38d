import { check, EOF_BODY, goBody, qStr, query, str, strMap } from './go-json';

/** Volume shapes (API 1.41, the struct names dockerd 20.10 reports). */

// A name a directory can have: dockerd 20.10 fails mkdir with "file name too long" past 255 bytes.
const NAME_MAX = 255;

export const volumeCreateBody = goBody('VolumeCreateBody', 'volume.VolumeCreateBody', {
  Name: check(str(), { maxLength: NAME_MAX }, 'create {value}: error while creating volume root path: file name too long'),
  Driver: str(),
  DriverOpts: strMap(),
  Labels: strMap(),
}, EOF_BODY);

export const volumeListQuery = query({ filters: qStr() });
export const volumePruneQuery = query({ filters: qStr() });
export const volumeRemoveQuery = query({ force: qStr() });
