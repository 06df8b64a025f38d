import type { Envelope } from '../domain/envelope';
import type { BuildStarted, BuildStep } from '../domain/events';
import { invalidArgument, notFound } from '../domain/errors';
import { nanosToRfc3339, parseTimestamp } from '../domain/time';
import type { StoredEnvelope } from './codec';
import { Views } from '../projections/views';
import type { JournalReader } from './journal';

/**
 * Audit replay (`wharf journal export|at|history|rebuild`): questions asked of the journal
 * alone, the same on a running daemon's journal and on a stopped daemon's (offline.ts).
 */

/** One record as `wharf journal export` prints it (a JSON line). */
export interface ExportedRecord {
  seq: number;
  time: string;
  type: string;
  version: number;
  stream: string;
  data: unknown;
  meta: Record<string, unknown>;
}

export function exported(e: Envelope): ExportedRecord {
  return { seq: Number(e.seq), time: nanosToRfc3339(e.time), type: e.type, version: e.v, stream: e.stream, data: e.data, meta: e.meta ?? {} };
}

/**
 * An exported record as the journal stores it again (the inverse of exported(): the time back
 * to nanoseconds, version to v; an empty meta is no meta). Its hash is not carried: a journal
 * it is restored into chains it anew.
 */
export function storedOf(r: ExportedRecord): StoredEnvelope {
  if (typeof r.time !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/.test(r.time)) throw invalidArgument(`record ${String(r.seq)}: its time ${JSON.stringify(r.time)} is not RFC3339 with nanoseconds, as export writes it`);
  const meta = r.meta && Object.keys(r.meta).length ? { meta: r.meta } : {};
  return { seq: String(r.seq), time: parseTimestamp(r.time).toString(), type: r.type, v: r.version, stream: r.stream, data: r.data, ...meta };
}

/** JSON lines of `wharf journal export` (blank lines ignored), each line's number named when it is not JSON. */
export function parseExport(text: string): ExportedRecord[] {
  const out: ExportedRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    try {
      out.push(JSON.parse(line) as ExportedRecord);
    } catch (e) {
      throw invalidArgument(`line ${i + 1} is not JSON: ${(e as Error).message}`);
    }
  });
  return out;
}

export interface AuditFilters {
  type: string[];
  stream: string[];
}

/** `--filter type=container.died --filter stream=container:4f3a`: docker-style, a map of lists. */
export function auditFilters(raw: Record<string, string[]> | undefined): AuditFilters {
  const f: AuditFilters = { type: [], stream: [] };
  for (const [k, vs] of Object.entries(raw ?? {})) {
    if (k !== 'type' && k !== 'stream') throw invalidArgument(`invalid filter '${k}' (the journal filters by type and stream)`);
    f[k].push(...vs);
  }
  return f;
}

/** "type=x" flags into the filter map. */
export function filtersFromFlags(flags: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const fl of flags) {
    const i = fl.indexOf('=');
    if (i <= 0) throw invalidArgument(`bad format of filter (expected name=value): ${fl}`);
    (out[fl.slice(0, i)] ??= []).push(fl.slice(i + 1));
  }
  return out;
}

/**
 * A type filter matches the type, or its family (`container` or `container.*`); a stream filter
 * with a colon is a prefix of the stream (`container:4f3a` matches that container's short id),
 * without one it is the stream's kind (`volume`). Values of one key are alternatives; keys all hold.
 */
export function matchesFilters(e: { type: string; stream: string }, f: AuditFilters): boolean {
  const typeOk = f.type.length === 0 || f.type.some((t) => e.type === t || e.type.startsWith(`${t.replace(/\.\*$/, '')}.`));
  const streamOk = f.stream.length === 0 || f.stream.some((s) => (s.includes(':') ? e.stream.startsWith(s) : e.stream.split(':')[0] === s));
  return typeOk && streamOk;
}

export interface ExportQuery {
  sinceTime?: bigint;
  untilTime?: bigint;
  filters: AuditFilters;
}

/** The records of a time range that pass the filters, one at a time (never the whole journal in memory). */
export async function* exportRecords(journal: JournalReader, q: ExportQuery): AsyncIterable<ExportedRecord> {
  for await (const e of journal.read({ sinceTime: q.sinceTime, untilTime: q.untilTime })) {
    if (matchesFilters(e, q.filters)) yield exported(e);
  }
}

/** What existed at a moment, rebuilt from the records up to it. */
export interface StateAt {
  Time: string;
  /** The last record applied (0: none). */
  Seq: number;
  Containers: { Id: string; Name: string; Image: string; ImageId: string; State: string }[];
  Images: { Id: string; Tags: string[] }[];
  Networks: { Id: string; Name: string; Driver: string; Subnet: string }[];
  Volumes: { Name: string; Driver: string }[];
}

/** Views built from scratch from every record with time <= untilTime. */
export async function viewsAt(journal: JournalReader, untilTime: bigint): Promise<Views> {
  const v = new Views();
  for await (const e of journal.read({ untilTime })) v.apply(e);
  return v;
}

export async function stateAt(journal: JournalReader, untilTime: bigint): Promise<StateAt> {
  const v = await viewsAt(journal, untilTime);
  const byName = <T extends { Name: string }>(a: T, b: T) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0);
  return {
    Time: nanosToRfc3339(untilTime),
    Seq: Number(v.appliedSeq),
    Containers: [...v.containers.values()].map((c) => ({ Id: c.id, Name: c.name, Image: c.image, ImageId: c.imageId, State: c.status })).sort(byName),
    Images: [...v.images.images.values()].map((i) => ({ Id: i.id, Tags: [...i.tags].sort() })).sort((a, b) => (a.Id < b.Id ? -1 : 1)),
    Networks: [...v.networks.values()].map((n) => ({ Id: n.id, Name: n.name, Driver: n.driver, Subnet: n.subnet })).sort(byName),
    Volumes: [...v.volumes.values()].map((x) => ({ Name: x.name, Driver: x.driver })).sort(byName),
  };
}

type Kind = 'container' | 'image' | 'network' | 'volume';

interface Known {
  kind: Kind;
  id: string;
  /** Every name it bore, with the seq it got it at. */
  names: Map<string, bigint>;
  alive: boolean;
}

export interface ObjectHistory {
  Kind: Kind;
  Id: string;
  Names: string[];
  /** Whether it still exists at the end of the journal. */
  Exists: boolean;
  /** Other objects that once bore the name asked for (the one shown is the live one, else the latest). */
  AlsoNamed: string[];
  Records: ExportedRecord[];
}

/** Names an object is known by, from the records that give them. */
function noteNames(known: Map<string, Known>, e: Envelope): void {
  const kind = e.stream.split(':')[0] as Kind;
  if (!['container', 'image', 'network', 'volume'].includes(kind)) return;
  const key = e.stream;
  let k = known.get(key);
  if (!k) {
    k = { kind, id: e.data.id, names: new Map(), alive: true };
    known.set(key, k);
  }
  switch (e.type) {
    case 'container.created':
    case 'container.renamed':
      k.names.set(e.data.name.replace(/^\//, ''), e.seq);
      k.alive = true;
      break;
    case 'image.tagged':
      k.names.set(e.data.ref, e.seq);
      break;
    case 'network.created':
      k.names.set(e.data.name, e.seq);
      k.alive = true;
      break;
    case 'volume.created':
      k.names.set(e.data.id, e.seq);
      k.alive = true;
      break;
    case 'container.destroyed':
    case 'image.deleted':
    case 'network.removed':
    case 'volume.removed':
      k.alive = false;
      break;
    case 'image.imported':
    case 'image.committed':
    case 'image.built':
    case 'image.loaded':
    case 'image.pulled':
      k.alive = true;
      break;
    default:
  }
}

/** Find one object by name, full id or unique id prefix, among everything the journal ever knew. */
function resolve(known: Map<string, Known>, object: string): { found: Known; alsoNamed: Known[] } {
  const all = [...known.values()];
  const bare = object.replace(/^\//, '');
  const exact = all.filter((k) => k.id === object || k.id === `sha256:${object}`);
  if (exact.length === 1) return { found: exact[0], alsoNamed: [] };
  const names = [bare, ...(/[:@]/.test(bare.split('/').pop() ?? '') ? [] : [`${bare}:latest`])];
  const named = all.filter((k) => names.some((n) => k.names.has(n)));
  if (named.length) {
    const when = (k: Known) => Math.max(...names.map((n) => Number(k.names.get(n) ?? -1n)));
    const pick = named.filter((k) => k.alive).sort((a, b) => when(b) - when(a))[0] ?? named.sort((a, b) => when(b) - when(a))[0];
    return { found: pick, alsoNamed: named.filter((k) => k !== pick) };
  }
  const short = object.replace(/^sha256:/, '');
  if (/^[0-9a-f]+$/.test(short)) {
    const byPrefix = all.filter((k) => k.id.replace(/^sha256:/, '').startsWith(short));
    if (byPrefix.length === 1) return { found: byPrefix[0], alsoNamed: [] };
    if (byPrefix.length > 1) throw invalidArgument(`${object} is ambiguous: ${byPrefix.map((k) => `${k.kind} ${k.id.replace(/^sha256:/, '').slice(0, 12)}`).slice(0, 5).join(', ')}`);
  }
  throw notFound(`the journal records no container, image, network or volume named or with id ${object}`);
}

/** Whether a record is about the object (its own stream, its execs, its network's members). */
function concerns(e: Envelope, k: Known): boolean {
  if (e.stream === `${k.kind}:${k.id}`) return true;
  const d = e.data as { container?: string; networkId?: string };
  if (k.kind === 'container' && e.type.startsWith('exec.')) return d.container === k.id;
  if (k.kind === 'network' && e.type.startsWith('container.network-')) return d.networkId === k.id;
  return false;
}

/** Every record about one object, in order: two passes (names, then records), nothing held but its records. */
export async function objectHistory(journal: JournalReader, object: string): Promise<ObjectHistory> {
  if (!object) throw invalidArgument('no object given');
  const known = new Map<string, Known>();
  for await (const e of journal.read()) noteNames(known, e);
  const { found, alsoNamed } = resolve(known, object);
  const records: ExportedRecord[] = [];
  for await (const e of journal.read()) if (concerns(e, found)) records.push(exported(e));
  return {
    Kind: found.kind,
    Id: found.id,
    Names: [...found.names.keys()],
    Exists: found.alive,
    AlsoNamed: alsoNamed.map((k) => k.id),
    Records: records,
  };
}

/** What the views hold, counted. */
export function viewCounts(v: Views): Record<string, number> {
  return {
    containers: v.containers.size,
    images: v.images.images.size,
    tags: v.images.tags.size,
    networks: v.networks.size,
    volumes: v.volumes.size,
    execs: v.execs.size,
  };
}

/** Which parts of two snapshots differ: top-level views, and the keys of map entries within. */
export function snapshotDifferences(live: Record<string, unknown>, rebuilt: Record<string, unknown>, names: [string, string] = ['live', 'rebuilt']): string[] {
  const out: string[] = [];
  for (const key of new Set([...Object.keys(live), ...Object.keys(rebuilt)])) {
    const a = live[key];
    const b = rebuilt[key];
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    if (Array.isArray(a) && Array.isArray(b) && a.every((x) => Array.isArray(x) && x.length === 2)) {
      const am = new Map((a as [string, unknown][]).map(([k, v]) => [k, JSON.stringify(v)]));
      const bm = new Map((b as [string, unknown][]).map(([k, v]) => [k, JSON.stringify(v)]));
      for (const k of new Set([...am.keys(), ...bm.keys()])) {
        if (am.get(k) !== bm.get(k)) out.push(`${key}[${k}]: ${names[0]} ${am.get(k)?.slice(0, 300) ?? 'absent'} / ${names[1]} ${bm.get(k)?.slice(0, 300) ?? 'absent'}`);
        if (out.length >= 20) return out;
      }
    } else {
      out.push(`${key}: ${names[0]} ${JSON.stringify(a)?.slice(0, 300)} / ${names[1]} ${JSON.stringify(b)?.slice(0, 300)}`);
    }
  }
  return out;
}

/** `wharf journal rebuild`'s answer. */
export interface RebuildReport {
  /** The records replayed (up to this seq). */
  Seq: string;
  /** 'live': compared with the running daemon's views; 'twice': offline, two replays compared. */
  Against: 'live' | 'twice';
  Equal: boolean;
  Counts: Record<string, number>;
  Differences: string[];
}

/** Offline: replay the whole journal twice into fresh views and compare (replay is a function of the journal). */
export async function rebuildTwice(journal: JournalReader): Promise<RebuildReport> {
  const a = await Views.replay(journal, journal.lastSeq);
  const b = await Views.replay(journal, journal.lastSeq);
  const differences = snapshotDifferences(JSON.parse(a.snapshot()) as Record<string, unknown>, JSON.parse(b.snapshot()) as Record<string, unknown>, ['first', 'second']);
  return { Seq: a.appliedSeq.toString(), Against: 'twice', Equal: differences.length === 0, Counts: viewCounts(a), Differences: differences };
}

/** A build as the journal recorded it: its start (context, Dockerfile, what was asked), each step, how it ended. */
export type BuildRecord = Omit<BuildStarted['data'], 'id' | 'steps'> & {
  id: string;
  started: string;
  steps: Omit<BuildStep['data'], 'id'>[];
  result: 'running' | 'finished' | 'failed';
  image?: string;
  error?: string;
  ended?: string;
};

/** The builds, oldest first: read from the journal itself (not the views), so it is the audit trail across restarts. */
export async function listBuilds(journal: JournalReader): Promise<BuildRecord[]> {
  const builds = new Map<string, BuildRecord>();
  for await (const e of journal.read({ accept: (r) => r.type.startsWith('build.') })) {
    if (e.type === 'build.started') {
      const { id, steps: _steps, ...d } = e.data;
      builds.set(id, { id, started: nanosToRfc3339(e.time), ...d, steps: [], result: 'running' });
      continue;
    }
    const b = builds.get(e.data.id);
    if (!b) continue;
    if (e.type === 'build.step') {
      const { id: _id, ...step } = e.data;
      b.steps.push(step);
    } else if (e.type === 'build.finished') {
      Object.assign(b, { result: 'finished', image: e.data.image, ended: nanosToRfc3339(e.time) });
    } else if (e.type === 'build.failed') {
      Object.assign(b, { result: 'failed', error: e.data.error, ended: nanosToRfc3339(e.time) });
    }
  }
  return [...builds.values()];
}
