import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Who asked for a record: the API client (the unix socket peer's credentials, SO_PEERCRED, and
 * its User-Agent), or the daemon itself (restart policy, boot recovery, exit monitor, health).
 * Stored in each record's meta as `by`; the journal stamps it when it has an actor source.
 */
export type Actor = RequestActor | DaemonActor;

export interface RequestActor {
  uid?: number;
  gid?: number;
  pid?: number;
  userAgent?: string;
}

export interface DaemonActor {
  /** true, or the part of the daemon that acted ('restart-policy', 'boot-recovery', 'exit-monitor'). */
  daemon: true | string;
}

const store = new AsyncLocalStorage<Actor>();

/** Run fn (and everything it schedules) on behalf of this API client. */
export function runAsClient<T>(actor: RequestActor, fn: () => T): T {
  return store.run(actor, fn);
}

/** Run fn (and everything it schedules) as the daemon's own doing, whoever's context it runs in. */
export function asDaemon<T>(part: string, fn: () => T): T {
  return store.run({ daemon: part }, fn);
}

/** Run fn outside any actor: what it schedules acts as the daemon (journal subscribers, timers). */
export function outsideActor<T>(fn: () => T): T {
  return store.exit(fn);
}

/** Who is asking now: the client of the request being served, else the daemon. */
export function currentActor(): Actor {
  return store.getStore() ?? { daemon: true };
}

/** "uid=1000 gid=1000 pid=4242 Docker-Client/27.3.1 (linux)", or "daemon (restart-policy)". */
export function describeActor(by: unknown): string {
  if (!by || typeof by !== 'object') return '-';
  const a = by as Partial<RequestActor & DaemonActor>;
  if (a.daemon !== undefined) return a.daemon === true ? 'daemon' : `daemon (${a.daemon})`;
  const parts = [a.uid !== undefined ? `uid=${a.uid}` : '', a.gid !== undefined ? `gid=${a.gid}` : '', a.pid !== undefined ? `pid=${a.pid}` : '', a.userAgent ?? ''].filter(Boolean);
  return parts.length ? parts.join(' ') : 'client (unknown)';
}
