import { isRestarting, isRunning, ZERO_TIME, type ContainerView } from '../domain/container';
import { invalidArgument } from '../domain/errors';
import { labelMatches } from '../domain/labels';
import { findImage, getContainer } from '../engine/lookup';
import { dockerState } from './wire/container';

import type { EngineDeps } from '../engine/ports';

/** What container-list uses of the engine. */
export type ContainerListDeps = Pick<EngineDeps, 'views'>;
/** GET /containers/json's options: all, limit and the filters as parsed from the query. */
export interface ListOptions {
  all: boolean;
  limit: number;
  filters: Record<string, string[]>;
}

const ACCEPTED = new Set(['ancestor', 'before', 'exited', 'id', 'isolation', 'label', 'name', 'status', 'health', 'since', 'volume', 'network', 'is-task', 'publish', 'expose']);
const STATES = new Set(['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead']);
const HEALTH = new Set(['starting', 'healthy', 'unhealthy', 'none']);

/** Docker's filters.Args.Match: the value itself, or an (unanchored) regular expression that matches. */
function matches(values: string[] | undefined, ...sources: string[]): boolean {
  if (!values?.length) return true;
  return values.some((v) => {
    if (sources.includes(v)) return true;
    let re: RegExp;
    try {
      re = new RegExp(v);
    } catch {
      return false;
    }
    return sources.some((s) => re.test(s));
  });
}

/** An image and every image committed on top of it, by id (the ancestor filter). */
function withDescendants(ctx: ContainerListDeps, id: string, into: Set<string>): void {
  if (into.has(id)) return;
  into.add(id);
  for (const img of ctx.views.images.images.values()) if (img.parent === id) withDescendants(ctx, img.id, into);
}

/** A port filter value ("80", "80/tcp", "8000-8080/udp") → the "port/proto" keys it names. */
function portKeys(key: string, value: string): string[] {
  if (value.includes(':')) throw invalidArgument(`filter for '${key}' should not contain ':': ${value}`);
  const [range, proto = 'tcp'] = value.split('/');
  const m = /^(\d+)(?:-(\d+))?$/.exec(range);
  if (!m) throw invalidArgument(`error while looking up for ${key} ${value}: invalid port range: ${range}`);
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  if (end < start || end > 65535) throw invalidArgument(`error while looking up for ${key} ${value}: invalid port range: ${range}`);
  return Array.from({ length: Math.min(end - start + 1, 65536) }, (_, i) => `${start + i}/${proto}`);
}

/** Where a container's binds and mounts come from and go to (the volume filter). */
function mountPoints(c: ContainerView): string[] {
  const out: string[] = [];
  // The mounts resolved at create (volume names and anonymous volumes included).
  for (const m of c.mounts ?? []) out.push(...[m.Name, m.Source, m.Destination].filter((x): x is string => !!x));
  for (const b of (c.hostConfig.Binds as string[] | null | undefined) ?? []) out.push(...b.split(':').slice(0, 2));
  for (const m of (c.hostConfig.Mounts as { Source?: string; Target?: string }[] | null | undefined) ?? []) {
    if (m.Source) out.push(m.Source);
    if (m.Target) out.push(m.Target);
  }
  return out;
}

/**
 * docker ps: the containers, newest first, that the options let through, with Docker's
 * rules (daemon/list.go): stopped ones only with all or a limit; before/since by creation
 * order; name, id and status as values or regular expressions; exited only for containers
 * that ran; ancestor as an image and every image built on it.
 */
export function listContainers(ctx: ContainerListDeps, o: ListOptions): ContainerView[] {
  const f = o.filters;
  for (const k of Object.keys(f)) if (!ACCEPTED.has(k)) throw invalidArgument(`invalid filter '${k}'`);
  const exited = (f.exited ?? []).map((v) => {
    if (!/^[-+]?\d+$/.test(v)) throw invalidArgument(`strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`);
    return Number(v);
  });
  let all = o.all;
  for (const s of f.status ?? []) {
    if (!STATES.has(s)) throw invalidArgument(`invalid filter 'status=${s}'`);
    all = true;
  }
  let isTask: boolean | undefined;
  if (f['is-task']?.length) {
    if (f['is-task'].includes('true')) isTask = true;
    else if (f['is-task'].includes('false')) isTask = false;
    else throw invalidArgument(`invalid filter 'is-task=[${f['is-task'].join(' ')}]'`);
  }
  for (const h of f.health ?? []) if (!HEALTH.has(h)) throw invalidArgument(`Unrecognised filter value for health: ${h}`);
  let before = f.before?.length ? getContainer(ctx.views, f.before[f.before.length - 1]).id : undefined;
  const since = f.since?.length ? getContainer(ctx.views, f.since[f.since.length - 1]).id : undefined;
  let ancestors: Set<string> | undefined;
  if (f.ancestor?.length) {
    ancestors = new Set();
    for (const a of f.ancestor) {
      const img = findImage(ctx.views, a);
      if (img) withDescendants(ctx, img.id, ancestors);
    }
  }
  const publish = (f.publish ?? []).flatMap((v) => portKeys('publish', v));
  const expose = (f.expose ?? []).flatMap((v) => portKeys('expose', v));
  // id filters name unique id prefixes (an ambiguous prefix names nothing).
  const ids = new Set<string>();
  for (const p of f.id ?? []) {
    const hits = [...ctx.views.containers.keys()].filter((id) => id.startsWith(p));
    if (hits.length === 1) ids.add(hits[0]);
  }

  const sorted = [...ctx.views.containers.values()].sort((a, b) => (a.createdSeq < b.createdSeq ? 1 : -1));
  const out: ContainerView[] = [];
  for (const c of sorted) {
    if (before !== undefined) {
      if (c.id === before) before = undefined;
      continue;
    }
    if (c.id === since) break;
    // Without -a: what Docker counts as running (a container waiting to be restarted too).
    if (!isRunning(c) && !isRestarting(c) && !all && o.limit <= 0) continue;
    if (!matches(f.name, `/${c.name}`, c.name)) continue;
    if (f.id?.length && !(ids.has(c.id) && matches(f.id, c.id))) continue;
    if (isTask === true) continue;
    if (!(f.label ?? []).every((l) => labelMatches(c.config.Labels, l))) continue;
    if (o.limit > 0 && out.length === o.limit) break;
    if (exited.length && !(exited.includes(c.exitCode) && !isRunning(c) && c.startedAt !== ZERO_TIME)) continue;
    if (!matches(f.status, dockerState(c))) continue;
    if (f.health?.length && !f.health.includes(c.health?.status ?? 'none')) continue;
    if (f.volume?.length && !f.volume.some((v) => mountPoints(c).includes(v))) continue;
    if (ancestors && !ancestors.has(c.imageId)) continue;
    if (f.network?.length) {
      const mine = [c.hostConfig.NetworkMode, ...Object.values(c.endpoints ?? {}).flatMap((e) => [e.network, e.networkId])];
      if (!f.network.some((x) => mine.includes(x))) continue;
    }
    if (publish.length) continue; // no container publishes ports yet
    if (expose.length && !expose.some((p) => p in (c.config.ExposedPorts ?? {}))) continue;
    out.push(c);
  }
  return out;
}
