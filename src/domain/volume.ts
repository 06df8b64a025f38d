import type { ContainerView } from './container';
import { conflict, invalidArgument, notFound } from './errors';
import type { WharfEvent } from './events';

/** A named volume of the local driver: a directory under <data-root>/volumes/<name>/_data. */
export interface VolumeView {
  name: string;
  driver: string;
  createdAt: string;
  labels: Record<string, string> | null;
  options: Record<string, string> | null;
  /** removing: its removal began (remove-requested) and boot recovery finishes it. */
  status: 'ready' | 'removing';
}

/** Docker marks volumes made for one container (no name given) with this label. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

export const isAnonymous = (v: Pick<VolumeView, 'labels'>): boolean => v.labels?.[ANONYMOUS_LABEL] !== undefined;

/** Docker's rule for local volume names. */
export const validVolumeName = (name: string): boolean => /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(name);

export function invalidVolumeName(name: string): Error {
  return invalidArgument(
    `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
  );
}

export const noSuchVolume = (name: string) => notFound(`get ${name}: no such volume`);

/** evolve: the pure fold of one event into the volume it concerns. */
export function evolveVolume(v: VolumeView | undefined, e: WharfEvent): VolumeView | undefined {
  switch (e.type) {
    case 'volume.created':
      return { name: e.data.id, driver: e.data.driver, createdAt: e.data.createdAt, labels: e.data.labels, options: e.data.options, status: 'ready' };
    case 'volume.remove-requested':
      return v && { ...v, status: 'removing' };
    case 'volume.removed':
      return undefined;
    default:
      return v;
  }
}

/** The containers (running or not) whose mounts use the volume, as Docker's references. */
export function volumeUsers(name: string, containers: Iterable<ContainerView>): string[] {
  const out: string[] = [];
  for (const c of containers) {
    if (c.mounts?.some((m) => m.Type === 'volume' && m.Name === name)) out.push(c.id);
  }
  return out;
}

/** decide: a volume may go only when no container refers to it. */
export function decideRemoveVolume(v: VolumeView, users: string[]): WharfEvent[] {
  if (users.length) throw conflict(`remove ${v.name}: volume is in use - [${users.join(', ')}]`);
  return [{ type: 'volume.remove-requested', data: { id: v.name } }];
}

const labelMatches = (labels: Record<string, string> | null, l: string): boolean => {
  const i = l.indexOf('=');
  const k = i < 0 ? l : l.slice(0, i);
  const got = labels?.[k];
  return got !== undefined && (i < 0 || got === l.slice(i + 1));
};

const bool = (key: string, v: string): boolean => {
  if (/^(1|true|True|TRUE)$/.test(v)) return true;
  if (/^(0|false|False|FALSE)$/.test(v)) return false;
  throw invalidArgument(`invalid filter '${key}=${v}'`);
};

/** `volume ls` filters (dangling, name, label, driver) as a predicate (pure). */
export function listFilter(filters: Record<string, string[]>, inUse: (name: string) => boolean): (v: VolumeView) => boolean {
  for (const k of Object.keys(filters)) {
    if (!['dangling', 'name', 'label', 'driver'].includes(k)) throw invalidArgument(`invalid filter '${k}'`);
  }
  const dangling = filters.dangling?.length ? filters.dangling.map((d) => bool('dangling', d)) : undefined;
  return (v) => {
    if (dangling && !dangling.some((d) => d === !inUse(v.name))) return false;
    if (filters.name?.length && !filters.name.some((n) => v.name.includes(n))) return false;
    if (filters.driver?.length && !filters.driver.includes(v.driver)) return false;
    if (!(filters.label ?? []).every((l) => labelMatches(v.labels, l))) return false;
    return true;
  };
}

/**
 * `volume prune` filters: today's Docker prunes only anonymous volumes unless all=true;
 * label and label! narrow it further (pure).
 */
export function pruneFilter(filters: Record<string, string[]>): (v: VolumeView) => boolean {
  for (const k of Object.keys(filters)) {
    if (!['all', 'label', 'label!'].includes(k)) throw invalidArgument(`invalid filter '${k}'`);
  }
  const all = (filters.all ?? []).some((a) => bool('all', a));
  return (v) => {
    if (!all && !isAnonymous(v)) return false;
    if (!(filters.label ?? []).every((l) => labelMatches(v.labels, l))) return false;
    if ((filters['label!'] ?? []).some((l) => labelMatches(v.labels, l))) return false;
    return true;
  };
}

/**
 * volume create: an existing volume is the answer (Docker returns it), one being removed is
 * refused; otherwise the volume.created fact, appended once its directory exists.
 */
export function decideCreateVolume(
  existing: VolumeView | undefined,
  name: string,
  r: { labels?: Record<string, string> | null; options?: Record<string, string> | null },
  createdAt: string,
): { existing: VolumeView } | { events: WharfEvent[] } {
  if (existing?.status === 'removing') throw conflict(`volume ${name} is being removed`);
  if (existing) return { existing };
  return { events: [{ type: 'volume.created', data: { id: name, driver: 'local', createdAt, labels: r.labels ?? null, options: r.options ?? null } }] };
}
