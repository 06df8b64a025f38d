import type { LiveEvent } from '../../engine/lib/live-events';
import type { Envelope } from '../../domain/envelope';
import type { StoredEnvelope } from '../../journal/codec';
import { EVENT_VERSION } from '../../domain/events';
import { familiarName, parseReference } from '../../domain/reference';
import type { DockerEvent } from '../../wire/docker';

export type { DockerEvent } from '../../wire/docker';

/** JSON for one event; timeNano does not fit a double, so it is spliced in as digits. */
export function eventJson(ev: DockerEvent): string {
  return JSON.stringify({ ...ev, timeNano: 0 }).replace(/"timeNano":0(?=[,}])/, `"timeNano":${ev.timeNano.toString()}`);
}

/** Docker's action for each fact; facts that Docker does not report map to nothing. */
const ACTIONS: Partial<Record<Envelope['type'], string>> = {
  'container.created': 'create',
  'container.started': 'start',
  'container.kill-requested': 'kill',
  'container.died': 'die',
  'container.stopped': 'stop',
  'container.oom-killed': 'oom',
  'container.paused': 'pause',
  'container.unpaused': 'unpause',
  'container.renamed': 'rename',
  'container.updated': 'update',
  'container.destroyed': 'destroy',
  'container.health-status': 'health_status',
  'container.network-connected': 'connect',
  'container.network-disconnected': 'disconnect',
  'exec.created': 'exec_create',
  'exec.started': 'exec_start',
  'exec.died': 'exec_die',
  'network.created': 'create',
  'network.removed': 'destroy',
  'image.imported': 'import',
  'image.committed': 'commit',
  'image.tagged': 'tag',
  'image.untagged': 'untag',
  'image.deleted': 'delete',
  'image.loaded': 'load',
  'image.saved': 'save',
  'image.pulled': 'pull',
  'image.pushed': 'push',
  'volume.created': 'create',
  'volume.removed': 'destroy',
  'volume.mounted': 'mount',
  'volume.unmounted': 'unmount',
};

/** A live-only event (engine/lib/live-events.ts) in Docker's shape. */
export function toLiveDockerEvent(e: LiveEvent): DockerEvent {
  return { status: e.action, id: e.id, from: e.image, Type: e.type, Action: e.action, Actor: { ID: e.id, Attributes: e.attributes }, scope: 'local', time: Number(e.time / 1_000_000_000n), timeNano: e.time };
}

export function toDockerEvent(e: Envelope): DockerEvent | undefined {
  const action = ACTIONS[e.type];
  if (!action) return undefined;
  const meta = (e.meta ?? {}) as { name?: string; image?: string; labels?: Record<string, string>; execCmd?: string };
  const time = Number(e.time / 1_000_000_000n);
  const timeNano = e.time;
  if (e.type === 'exec.created' || e.type === 'exec.started' || e.type === 'exec.died') {
    // Docker reports execs as container events: "exec_create: <cmd>", "exec_start: <cmd>", "exec_die".
    const attrs: Record<string, string> = { ...(meta.labels ?? {}), execID: e.data.id, image: meta.image ?? '', name: meta.name ?? '' };
    if (e.type === 'exec.died') attrs.exitCode = String(e.data.exitCode);
    const act = e.type === 'exec.died' ? action : `${action}: ${meta.execCmd ?? ''}`;
    const cid = e.data.container;
    return { status: act, id: cid, from: meta.image ?? '', Type: 'container', Action: act, Actor: { ID: cid, Attributes: attrs }, scope: 'local', time, timeNano };
  }
  if (e.type === 'container.network-connected' || e.type === 'container.network-disconnected') {
    // Docker reports these as events of the network, naming the container.
    const attrs = { container: e.data.id, name: e.data.network, type: 'bridge' };
    return { status: action, id: e.data.networkId, Type: 'network', Action: action, Actor: { ID: e.data.networkId, Attributes: attrs }, scope: 'local', time, timeNano };
  }
  if (e.type === 'network.created' || e.type === 'network.removed') {
    const attrs = { name: e.data.name, type: 'bridge' };
    return { status: action, id: e.data.id, Type: 'network', Action: action, Actor: { ID: e.data.id, Attributes: attrs }, scope: 'local', time, timeNano };
  }
  if (e.type.startsWith('container.')) {
    const attrs: Record<string, string> = { ...(meta.labels ?? {}), image: meta.image ?? '', name: meta.name ?? '' };
    if (e.type === 'container.died') {
      attrs.exitCode = String(e.data.exitCode);
      if (e.data.reconciled) attrs.reconciled = 'true';
    }
    if (e.type === 'container.kill-requested') attrs.signal = e.data.signal;
    if (e.type === 'container.health-status') {
      const act = `${action}: ${e.data.status}`;
      return { status: act, id: e.data.id, from: meta.image ?? '', Type: 'container', Action: act, Actor: { ID: e.data.id, Attributes: attrs }, scope: 'local', time, timeNano };
    }
    if (e.type === 'container.renamed') {
      attrs.oldName = `/${e.data.oldName}`;
      attrs.name = e.data.name;
    }
    return { status: action, id: e.data.id, from: meta.image ?? '', Type: 'container', Action: action, Actor: { ID: e.data.id, Attributes: attrs }, scope: 'local', time, timeNano };
  }
  if (e.type === 'image.committed') {
    // Docker: Type container, the container as actor, the new image in imageID / imageRef.
    const m = meta as { name?: string; containerName?: string; containerImage?: string };
    const cid = e.data.container;
    const attrs = { comment: e.data.comment, imageID: e.data.id, imageRef: m.name ?? '', image: m.containerImage ?? '', name: m.containerName ?? '' };
    return { status: action, id: cid, from: m.containerImage ?? '', Type: 'container', Action: action, Actor: { ID: cid, Attributes: attrs }, scope: 'local', time, timeNano };
  }
  if (e.type.startsWith('volume.')) return volumeEvent(e, action, time, timeNano);
  if (e.type === 'image.pulled' || e.type === 'image.pushed') {
    // Docker: the reference is the actor, its repository the name.
    const ref = e.data.ref;
    const attrs = { name: ref.replace(/@.*$/, '').replace(/:[^/:]+$/, '') };
    return { status: action, id: ref, Type: 'image', Action: action, Actor: { ID: ref, Attributes: attrs }, scope: 'local', time, timeNano };
  }
  const name = e.type === 'image.tagged' || e.type === 'image.untagged' ? e.data.ref : meta.name ?? e.data.id;
  const attrs: Record<string, string> = { name };
  return { status: action, id: e.data.id, Type: 'image', Action: action, Actor: { ID: e.data.id, Attributes: attrs }, scope: 'local', time, timeNano };
}

/** Volume events carry no legacy status/id/from fields; the actor is the volume's name. */
function volumeEvent(e: Envelope, action: string, time: number, timeNano: bigint): DockerEvent {
  const attrs: Record<string, string> = { driver: 'local' };
  if (e.type === 'volume.mounted') {
    Object.assign(attrs, { container: e.data.container, destination: e.data.destination, propagation: e.data.propagation, 'read/write': String(e.data.rw) });
  } else if (e.type === 'volume.unmounted') {
    attrs.container = e.data.container;
  }
  return { Type: 'volume', Action: action, Actor: { ID: e.data.id, Attributes: attrs }, scope: 'local', time, timeNano };
}

export type EventFilters = Record<string, string[]>;

/**
 * The keys dockerd matches by name (daemon/events/filter.go, fuzzyMatchName): a value passes an
 * event whose Actor.ID or name attribute it equals or begins, whatever the event's Type
 * (measured: `--filter network=foo` also shows container "foo" and volume "foovol").
 */
const NAME_KEYS = ['container', 'daemon', 'plugin', 'volume', 'network', 'service', 'node', 'secret', 'config'] as const;

/** Event values that make dockerd match every event value as a prefix (moby #25798). */
const FUZZY_EVENTS = new Set(['health_status', 'exec_create', 'exec_start']);

/** Journal types whose Docker action carries a suffix: "exec_create: <cmd>", "health_status: <status>". */
const ACTION_WITH_SUFFIX = new Set(['exec.created', 'exec.started', 'container.health-status']);

/** Every attribute an event carries besides the container's labels (see toDockerEvent). */
const ATTRIBUTE_KEYS = new Set(['image', 'name', 'exitCode', 'reconciled', 'signal', 'oldName', 'execID', 'comment', 'imageID', 'imageRef', 'container', 'type', 'driver', 'destination', 'propagation', 'read/write']);

/** The Docker Type an event of this journal type is reported as (see toDockerEvent). */
function dockerTypeOf(type: string): string {
  if (type === 'container.network-connected' || type === 'container.network-disconnected' || type.startsWith('network.')) return 'network';
  if (type.startsWith('container.') || type.startsWith('exec.') || type === 'image.committed') return 'container';
  if (type.startsWith('volume.')) return 'volume';
  return 'image';
}

const given = (f: EventFilters, k: string): string[] | undefined => (f[k] && f[k].length > 0 ? f[k] : undefined);

/** Go filters.Args.ExactMatch: no values pass everything. */
const exactMatch = (values: string[] | undefined, source: string): boolean => !values || values.includes(source);

/** Go filters.Args.FuzzyMatch: a value passes a source it equals or begins. */
const fuzzyMatch = (values: string[] | undefined, source: string): boolean => !values || values.some((v) => source.startsWith(v));

/** "key=value" as Go's strings.Cut reads it (the value may hold more "="). */
function cutLabel(l: string): [string, string | undefined] {
  const i = l.indexOf('=');
  return i < 0 ? [l, undefined] : [l.slice(0, i), l.slice(i + 1)];
}

/** distribution/reference's FamiliarName of a reference, or the text itself when it is none (dockerd's stripTag). */
function stripTag(s: string): string {
  try {
    return familiarName(parseReference(s));
  } catch {
    return s;
  }
}

/**
 * Which stored records can make an event that passes the filters, judged cheaply on the record
 * as stored (its type; the ids and names it carries; its labels): the reader skips every other
 * record before decoding it. Conservative: it never drops a record whose event matchesFilters
 * passes (event.test.ts holds the two together), and each event is still held against the filters.
 */
export function storedRecordFilter(f: EventFilters): (stored: StoredEnvelope) => boolean {
  const types = journalTypesFor(f);
  const byName = NAME_KEYS.map((k) => given(f, k)).filter((v): v is string[] => v !== undefined);
  // A label filter on a key no event carries but as a label needs the record's meta.labels to have it.
  const labels = (f.label ?? []).map(cutLabel);
  const byLabel = labels.length > 0 && labels.every(([k]) => !ATTRIBUTE_KEYS.has(k));
  return (s) => {
    if (!types.has(s.type)) return false;
    // A record of an older version is judged after its upcast, on the event.
    if (s.v < (EVENT_VERSION[s.type as keyof typeof EVENT_VERSION] ?? s.v)) return true;
    if (byLabel) {
      const have = ((s.meta ?? {}) as { labels?: Record<string, unknown> }).labels ?? {};
      if (!labels.every(([k, v]) => typeof have[k] === 'string' && (v === undefined || have[k] === v))) return false;
    }
    if (byName.length === 0) return true;
    // Every string the event's Actor.ID or name attribute is made of (or begins: a pulled
    // image's name is its reference cut short); '' for an event without a name attribute.
    const d = (s.data ?? {}) as Record<string, unknown>;
    const m = (s.meta ?? {}) as Record<string, unknown>;
    const names = ['', d.id, d.container, d.networkId, d.ref, d.name, d.network, m.name, m.containerName].filter((x): x is string => typeof x === 'string');
    return byName.every((values) => values.some((v) => names.some((n) => n.startsWith(v))));
  };
}

/**
 * The journal types whose events can pass the filters (by Docker type, action and scope alone).
 * Types Docker does not report are never in it.
 */
export function journalTypesFor(f: EventFilters): Set<string> {
  const out = new Set<string>();
  const types = given(f, 'type');
  const events = given(f, 'event');
  const fuzzy = events?.some((a) => FUZZY_EVENTS.has(a)) ?? false;
  // Every event of wharfd is of scope local.
  if (!exactMatch(given(f, 'scope'), 'local')) return out;
  for (const [type, action] of Object.entries(ACTIONS) as [string, string][]) {
    if (!exactMatch(types, dockerTypeOf(type))) continue;
    if (events && !actionMayMatch(events, fuzzy, action, ACTION_WITH_SUFFIX.has(type))) continue;
    out.add(type);
  }
  return out;
}

/** Whether an action (`base`, or `base: <anything>` with a suffix) can pass the event values. */
function actionMayMatch(values: string[], fuzzy: boolean, base: string, suffixed: boolean): boolean {
  if (!suffixed) return fuzzy ? values.some((v) => base.startsWith(v)) : values.includes(base);
  const head = `${base}: `;
  return values.some((v) => v.startsWith(head) || (fuzzy && head.startsWith(v)));
}

/**
 * dockerd's /events filters (daemon/events/filter.go): type, event, scope, label, image, and the
 * name keys (container, daemon, plugin, volume, network, service, node, secret, config). Other
 * keys are accepted and ignored, as dockerd does.
 */
export function matchesFilters(ev: DockerEvent, f: EventFilters): boolean {
  const events = given(f, 'event');
  if (events) {
    const ok = events.some((a) => FUZZY_EVENTS.has(a)) ? fuzzyMatch(events, ev.Action) : exactMatch(events, ev.Action);
    if (!ok) return false;
  }
  if (!exactMatch(given(f, 'type'), ev.Type)) return false;
  if (!exactMatch(given(f, 'scope'), ev.scope)) return false;
  const name = ev.Actor.Attributes.name ?? '';
  for (const k of NAME_KEYS) {
    const values = given(f, k);
    if (values && !fuzzyMatch(values, ev.Actor.ID) && !fuzzyMatch(values, name)) return false;
  }
  const images = given(f, 'image');
  if (images) {
    const img = (ev.Type === 'image' ? ev.Actor.Attributes.name : ev.Actor.Attributes.image) ?? '';
    if (![ev.Actor.ID, img, stripTag(ev.Actor.ID), stripTag(img)].some((s) => images.includes(s))) return false;
  }
  const labels = given(f, 'label');
  if (labels) {
    const attrs = ev.Actor.Attributes;
    if (Object.keys(attrs).length === 0) return false;
    for (const [k, v] of labels.map(cutLabel)) {
      const got = Object.hasOwn(attrs, k) ? attrs[k] : undefined;
      if (got === undefined || (v !== undefined && got !== v)) return false;
    }
  }
  return true;
}

/** Parse Docker's filters query: {"type":{"container":true}} or {"type":["container"]}. */
export function parseFilters(raw: unknown): EventFilters {
  if (typeof raw !== 'string' || raw === '') return {};
  const obj = JSON.parse(raw) as Record<string, string[] | Record<string, boolean>>;
  const out: EventFilters = {};
  for (const [k, v] of Object.entries(obj)) out[k] = Array.isArray(v) ? v : Object.keys(v).filter((x) => v[x]);
  return out;
}
