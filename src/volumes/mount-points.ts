/**
 * A container's mounts from Docker's options (pure): -v specs (HostConfig.Binds), --mount
 * (HostConfig.Mounts), --volumes-from and the image's or -v /path's Config.Volumes, with
 * Docker's precedence: volumes-from, then binds and mounts over them, then anonymous volumes
 * for Config.Volumes paths nothing else mounts.
 */
import path from 'node:path';
import type { MountPoint } from '../domain/events';

export class MountSpecError extends Error {}

/** HostConfig.Mounts[] as the API sends it. */
export interface MountRequest {
  Type: string;
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string } | null;
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string> | null; DriverConfig?: { Name?: string; Options?: Record<string, string> | null } | null } | null;
  TmpfsOptions?: unknown;
}

export interface BindSpec {
  /** '' for an anonymous volume ("-v /data" sent as a bind by API users). */
  source: string;
  destination: string;
  mode: string;
  rw: boolean;
  nocopy: boolean;
  propagation: string;
  /** Not a host path: a (named or anonymous) volume. */
  volume: boolean;
}

const RW_MODES = ['rw', 'ro'];
const LABEL_MODES = ['z', 'Z'];
const PROPAGATION = ['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate'];
const COPY_MODES = ['nocopy'];
const CONSISTENCY = ['consistent', 'cached', 'delegated'];

/** Docker's ValidMountMode: comma-separated, at most one of each kind. */
export function validMode(mode: string): boolean {
  if (mode === '') return true;
  const seen = { rw: 0, label: 0, prop: 0, copy: 0, cons: 0 };
  for (const f of mode.split(',')) {
    if (RW_MODES.includes(f)) seen.rw++;
    else if (LABEL_MODES.includes(f)) seen.label++;
    else if (PROPAGATION.includes(f)) seen.prop++;
    else if (COPY_MODES.includes(f)) seen.copy++;
    else if (CONSISTENCY.includes(f)) seen.cons++;
    else return false;
  }
  return Object.values(seen).every((n) => n <= 1);
}

const cleanDest = (p: string): string => {
  const n = path.posix.normalize(p);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
};

/** Is this Binds entry a volume (named or anonymous) rather than a host path? */
export function isVolumeBind(raw: string): boolean {
  try {
    return parseBind(raw).volume;
  } catch {
    return false;
  }
}

/** One -v spec: [SOURCE:]DEST[:MODE]. */
export function parseBind(raw: string): BindSpec {
  const bad = () => new MountSpecError(`invalid volume specification: '${raw}'`);
  const arr = raw.split(':');
  let source = '';
  let destination: string;
  let mode = '';
  if (arr.length === 1) destination = arr[0];
  else if (arr.length === 2) {
    if (!arr[1].startsWith('/') && validMode(arr[1]) && arr[0].startsWith('/')) {
      destination = arr[0];
      mode = arr[1];
    } else {
      source = arr[0];
      destination = arr[1];
    }
  } else if (arr.length === 3) [source, destination, mode] = arr;
  else throw bad();
  if (!destination || !destination.startsWith('/')) {
    if (arr.length === 1 || destination === '') throw bad();
    throw new MountSpecError(`invalid volume specification: '${raw}': invalid mount config for type "${source.startsWith('/') ? 'bind' : 'volume'}": invalid mount path: '${destination}' mount path must be absolute`);
  }
  if (cleanDest(destination) === '/') throw new MountSpecError(`invalid specification: destination can't be '/' in '${raw}'`);
  if (!validMode(mode)) throw new MountSpecError(`invalid mode: ${mode}`);
  if (source === '' && arr.length > 1 && arr.length === 3) throw bad();
  const flags = mode.split(',').filter(Boolean);
  const volume = !source.startsWith('/');
  return {
    source,
    destination: cleanDest(destination),
    mode,
    rw: !flags.includes('ro'),
    nocopy: flags.includes('nocopy'),
    propagation: flags.find((f) => PROPAGATION.includes(f)) ?? (volume ? '' : 'rprivate'),
    volume,
  };
}

/** --volumes-from CONTAINER[:ro|:rw]. */
export function parseVolumesFrom(raw: string): { container: string; mode: '' | 'ro' | 'rw' } {
  const i = raw.indexOf(':');
  if (i < 0) return { container: raw, mode: '' };
  const mode = raw.slice(i + 1);
  if (mode !== 'ro' && mode !== 'rw') throw new MountSpecError(`invalid mode: ${mode}`);
  return { container: raw.slice(0, i), mode };
}

/** A volume the container needs: made if missing (anonymous ones always are). */
export interface VolumeNeed {
  name: string;
  anonymous: boolean;
  driver: string;
  labels: Record<string, string> | null;
  options: Record<string, string> | null;
}

export interface MountInput {
  binds: string[];
  mounts: MountRequest[];
  /** Each --volumes-from container, looked up: its id, the mode asked for, its mounts. */
  volumesFrom: { id: string; mode: '' | 'ro' | 'rw'; mounts: MountPoint[] }[];
  /** Config.Volumes paths (the image's VOLUME entries and -v /path). */
  configVolumes: string[];
  /** HostConfig.Tmpfs paths: nothing else goes there. */
  tmpfs: string[];
  volumePath(name: string): string;
  newName(): string;
}

export function resolveMountPoints(i: MountInput): { mounts: MountPoint[]; volumes: VolumeNeed[] } {
  const byDest = new Map<string, MountPoint>();
  const needs = new Map<string, VolumeNeed>();
  const need = (n: VolumeNeed) => {
    if (!needs.has(n.name)) needs.set(n.name, n);
  };
  const volumePoint = (name: string, dest: string, rw: boolean, mode: string, copy: boolean, anonymous: boolean): MountPoint => ({
    Type: 'volume',
    Name: name,
    Source: i.volumePath(name),
    Destination: dest,
    Driver: 'local',
    Mode: mode,
    RW: rw,
    Propagation: '',
    ...(anonymous ? { Anonymous: true } : {}),
    ...(copy ? { CopyData: true } : {}),
  });

  for (const vf of i.volumesFrom) {
    for (const m of vf.mounts) {
      if (m.Type !== 'volume' && m.Type !== 'bind') continue;
      const { CopyData: _copy, ...rest } = m;
      byDest.set(m.Destination, { ...rest, RW: m.RW && vf.mode !== 'ro', From: vf.id });
    }
  }

  const taken = new Set<string>();
  const claim = (dest: string) => {
    if (taken.has(dest)) throw new MountSpecError(`Duplicate mount point: ${dest}`);
    taken.add(dest);
  };
  for (const raw of i.binds) {
    const b = parseBind(raw);
    claim(b.destination);
    if (!b.volume) {
      byDest.set(b.destination, { Type: 'bind', Source: b.source, Destination: b.destination, Mode: b.mode, RW: b.rw, Propagation: b.propagation });
      continue;
    }
    const anonymous = b.source === '';
    const name = anonymous ? i.newName() : b.source;
    need({ name, anonymous, driver: 'local', labels: null, options: null });
    byDest.set(b.destination, volumePoint(name, b.destination, b.rw, anonymous ? b.mode : b.mode || 'z', !b.nocopy, anonymous));
  }
  for (const m of i.mounts) {
    if (!m.Target?.startsWith('/')) throw new MountSpecError(`invalid mount config for type "${m.Type}": invalid mount path: '${m.Target ?? ''}' mount path must be absolute`);
    const dest = cleanDest(m.Target);
    claim(dest);
    if (m.Type === 'bind') {
      byDest.set(dest, { Type: 'bind', Source: m.Source ?? '', Destination: dest, Mode: '', RW: !m.ReadOnly, Propagation: m.BindOptions?.Propagation || 'rprivate' });
    } else if (m.Type === 'tmpfs') {
      byDest.set(dest, { Type: 'tmpfs', Source: '', Destination: dest, Mode: '', RW: !m.ReadOnly, Propagation: '' });
    } else if (m.Type === 'volume') {
      const anonymous = !m.Source;
      const name = m.Source || i.newName();
      const dc = m.VolumeOptions?.DriverConfig;
      need({ name, anonymous, driver: dc?.Name || 'local', labels: m.VolumeOptions?.Labels ?? null, options: dc?.Options ?? null });
      byDest.set(dest, volumePoint(name, dest, !m.ReadOnly, '', !m.VolumeOptions?.NoCopy, anonymous));
    } else {
      throw new MountSpecError(`invalid mount config: mount type unknown: "${m.Type}"`);
    }
  }
  const tmpfs = new Set(i.tmpfs.map(cleanDest));
  for (const p of i.configVolumes) {
    const dest = cleanDest(p);
    if (!dest.startsWith('/')) throw new MountSpecError(`invalid volume specification: '${p}'`);
    if (byDest.has(dest) || tmpfs.has(dest)) continue;
    const name = i.newName();
    need({ name, anonymous: true, driver: 'local', labels: null, options: null });
    byDest.set(dest, volumePoint(name, dest, true, '', true, true));
  }
  return { mounts: [...byDest.values()], volumes: [...needs.values()] };
}
