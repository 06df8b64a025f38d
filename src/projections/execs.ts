import type { ContainerView } from '../domain/container';
import type { Envelope } from '../domain/envelope';
import { evolveExec, KEPT_EXITED_EXECS, type ExecView } from '../domain/exec';

/** Exec sessions by id, oldest first; those of a removed container go with it. */
export type ExecsView = Map<string, ExecView>;

/** Exec ids by container, and each exec's place in the `execs` map (insertion order). */
interface ExecIndex {
  order: Map<string, number>;
  next: number;
  byContainer: Map<string, Set<string>>;
  /** The exited ones only. */
  exited: Map<string, Set<string>>;
}

function add(m: Map<string, Set<string>>, k: string, v: string): void {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  s.add(v);
}

function remove(m: Map<string, Set<string>>, k: string, v: string): void {
  const s = m.get(k);
  if (s?.delete(v) && s.size === 0) m.delete(k);
}

/**
 * An index beside the execs (not part of the views, not in snapshots or checkpoints; built
 * from the map on first use) so that an exec record or a container's removal costs O(1)
 * amortised, not a scan of every exec.
 */
const indexes = new WeakMap<ExecsView, ExecIndex>();

function indexOf(execs: ExecsView): ExecIndex {
  let ix = indexes.get(execs);
  if (!ix) {
    ix = { order: new Map(), next: 0, byContainer: new Map(), exited: new Map() };
    for (const x of execs.values()) {
      ix.order.set(x.id, ix.next++);
      add(ix.byContainer, x.containerId, x.id);
      if (x.status === 'exited') add(ix.exited, x.containerId, x.id);
    }
    indexes.set(execs, ix);
  }
  return ix;
}

function indexExec(ix: ExecIndex, before: ExecView | undefined, after: ExecView): void {
  if (!before) ix.order.set(after.id, ix.next++); // a new key: last in the map's order
  else if (before.containerId !== after.containerId) {
    remove(ix.byContainer, before.containerId, before.id);
    remove(ix.exited, before.containerId, before.id);
  }
  add(ix.byContainer, after.containerId, after.id);
  if (after.status === 'exited') add(ix.exited, after.containerId, after.id);
  else remove(ix.exited, after.containerId, after.id);
}

function dropExec(execs: ExecsView, ix: ExecIndex, id: string): void {
  const x = execs.get(id);
  if (!x) return;
  execs.delete(id);
  ix.order.delete(id);
  remove(ix.byContainer, x.containerId, id);
  remove(ix.exited, x.containerId, id);
}

/** A removed container's execs go with it: O(its execs), each exec dropped once. */
function forgetExecsOf(execs: ExecsView, containerId: string): void {
  const ix = indexOf(execs);
  for (const xid of [...(ix.byContainer.get(containerId) ?? [])]) dropExec(execs, ix, xid);
}

/**
 * Keep the last KEPT_EXITED_EXECS exited execs of the container (the newest in the map's
 * order). Each exec.died leaves at most that many, so this sorts at most one more: O(1).
 */
function forgetOldExecs(execs: ExecsView, containerId: string): void {
  const ix = indexOf(execs);
  const exited = ix.exited.get(containerId);
  if (!exited || exited.size <= KEPT_EXITED_EXECS) return;
  const oldest = [...exited].sort((a, b) => ix.order.get(a)! - ix.order.get(b)!);
  for (const xid of oldest.slice(0, exited.size - KEPT_EXITED_EXECS)) dropExec(execs, ix, xid);
}

/**
 * The execs projection. `containers` is the containers view with this record applied: a
 * container record that leaves no container there (its removal) takes its execs with it.
 */
export function evolveExecs(execs: ExecsView, e: Envelope, containers: ReadonlyMap<string, ContainerView>): ExecsView {
  if (e.type.startsWith('container.')) {
    if (!containers.has(e.data.id)) forgetExecsOf(execs, e.data.id);
  } else if (e.type.startsWith('exec.')) {
    const before = execs.get(e.data.id);
    const after = evolveExec(before, e);
    if (after) {
      indexExec(indexOf(execs), before, after);
      execs.set(after.id, after);
    }
    if (e.type === 'exec.died') forgetOldExecs(execs, e.data.container);
  }
  return execs;
}
