import type { Envelope } from '../domain/envelope';
import { evolveContainer, type ContainerView } from '../domain/container';
import { evolveExec, KEPT_EXITED_EXECS, type ExecView } from '../domain/exec';
import { chainIds } from '../domain/layer-chain';
import { emptyLayerState, evolveImages, evolveLayers, type ImageState, type LayerState } from '../domain/image';
import { evolveVolume, type VolumeView } from '../domain/volume';
import type { JournalReader } from '../journal/journal';
import { nanosToRfc3339 } from '../domain/time';
import { evolveNetworks, type NetworkView } from '../domain/user-network';

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
 * The in-memory views, rebuilt from the journal at boot and kept current by every commit.
 * They answer ps / inspect / images; nothing here is a source of truth.
 */
export class Views {
  readonly containers = new Map<string, ContainerView>();
  readonly names = new Map<string, string>();
  readonly images: ImageState = { images: new Map(), tags: new Map() };
  /** Registry layers: what pulls fetched and where pushes put them. */
  readonly layers: LayerState = emptyLayerState();
  /** Exec sessions, oldest first; those of a removed container go with it. */
  readonly execs = new Map<string, ExecView>();
  readonly volumes = new Map<string, VolumeView>();
  /** User-defined networks by id. */
  readonly networks = new Map<string, NetworkView>();
  /** Bridges of removed networks: boot deletes any a crash left behind. */
  readonly retiredBridges = new Set<string>();
  /**
   * What the journal positively records as removed (destroyed containers; blobs and chains of
   * deleted images and released layers; removed volumes): the only files a boot sweep deletes.
   * Anything else it does not know goes to the quarantine.
   */
  readonly removed = { containers: new Set<string>(), blobs: new Set<string>(), chains: new Set<string>(), volumes: new Set<string>() };
  /** Builds begun and not ended: boot ends them as failed (the daemon stopped during them). */
  readonly openBuilds = new Set<string>();
  appliedSeq = 0n;

  apply(e: Envelope): void {
    if (e.seq <= this.appliedSeq) return;
    this.appliedSeq = e.seq;
    this.noteRemoval(e);
    if (e.type.startsWith('container.')) {
      const id = e.data.id;
      const before = this.containers.get(id);
      const after = evolveContainer(before, e, e.seq);
      if (before && (!after || after.name !== before.name)) this.names.delete(before.name);
      if (after) {
        this.containers.set(id, after);
        this.names.set(after.name, id);
      } else {
        this.containers.delete(id);
        this.forgetExecsOf(id);
      }
    } else if (e.type.startsWith('exec.')) {
      const before = this.execs.get(e.data.id);
      const after = evolveExec(before, e);
      if (after) {
        this.indexExec(before, after);
        this.execs.set(after.id, after);
      }
      if (e.type === 'exec.died') this.forgetOldExecs(e.data.container);
    } else if (e.type.startsWith('network.')) {
      if (e.type === 'network.removed') {
        const b = this.networks.get(e.data.id)?.bridge;
        if (b) this.retiredBridges.add(b);
      }
      if (e.type === 'network.created') this.retiredBridges.delete(e.data.bridge);
      evolveNetworks(this.networks, e);
    } else if (e.type.startsWith('image.') || e.type.startsWith('layer.')) {
      evolveImages(this.images, e, nanosToRfc3339(e.time));
      evolveLayers(this.layers, e);
    } else if (e.type.startsWith('build.')) {
      if (e.type === 'build.started') this.openBuilds.add(e.data.id);
      else if (e.type === 'build.finished' || e.type === 'build.failed') this.openBuilds.delete(e.data.id);
    } else if (e.type.startsWith('volume.')) {
      const after = evolveVolume(this.volumes.get(e.data.id), e);
      if (after) this.volumes.set(e.data.id, after);
      else this.volumes.delete(e.data.id);
    }
  }

  private noteRemoval(e: Envelope): void {
    if (e.type === 'container.destroyed') this.removed.containers.add(e.data.id);
    else if (e.type === 'volume.removed') this.removed.volumes.add(e.data.id);
    else if (e.type === 'layer.released') {
      this.removed.chains.add(e.data.chainId);
      this.removed.blobs.add(e.data.id);
    } else if (e.type === 'image.deleted') {
      const img = this.images.images.get(e.data.id);
      this.removed.blobs.add(e.data.id);
      if (img) {
        for (const l of img.layers) this.removed.blobs.add(l);
        for (const c of chainIds(img.layers)) this.removed.chains.add(c);
      }
    }
  }

  /**
   * An index of the execs beside `execs` (a private field: not in snapshot(), not part of the
   * views; built from `execs` on first use) so that an exec record or a container's removal
   * costs O(1) amortised, not a scan of every exec.
   */
  #execIndex?: ExecIndex;

  private get execIndex(): ExecIndex {
    if (!this.#execIndex) {
      const ix: ExecIndex = { order: new Map(), next: 0, byContainer: new Map(), exited: new Map() };
      for (const x of this.execs.values()) {
        ix.order.set(x.id, ix.next++);
        add(ix.byContainer, x.containerId, x.id);
        if (x.status === 'exited') add(ix.exited, x.containerId, x.id);
      }
      this.#execIndex = ix;
    }
    return this.#execIndex;
  }

  private indexExec(before: ExecView | undefined, after: ExecView): void {
    const ix = this.execIndex;
    if (!before) ix.order.set(after.id, ix.next++); // a new key: last in the map's order
    else if (before.containerId !== after.containerId) {
      remove(ix.byContainer, before.containerId, before.id);
      remove(ix.exited, before.containerId, before.id);
    }
    add(ix.byContainer, after.containerId, after.id);
    if (after.status === 'exited') add(ix.exited, after.containerId, after.id);
    else remove(ix.exited, after.containerId, after.id);
  }

  private dropExec(id: string): void {
    const x = this.execs.get(id);
    if (!x) return;
    this.execs.delete(id);
    const ix = this.execIndex;
    ix.order.delete(id);
    remove(ix.byContainer, x.containerId, id);
    remove(ix.exited, x.containerId, id);
  }

  /** A removed container's execs go with it: O(its execs), each exec dropped once. */
  private forgetExecsOf(containerId: string): void {
    for (const xid of [...(this.execIndex.byContainer.get(containerId) ?? [])]) this.dropExec(xid);
  }

  /**
   * Keep the last KEPT_EXITED_EXECS exited execs of the container (the newest in the map's
   * order). Each exec.died leaves at most that many, so this sorts at most one more: O(1).
   */
  private forgetOldExecs(containerId: string): void {
    const ix = this.execIndex;
    const exited = ix.exited.get(containerId);
    if (!exited || exited.size <= KEPT_EXITED_EXECS) return;
    const oldest = [...exited].sort((a, b) => ix.order.get(a)! - ix.order.get(b)!);
    for (const xid of oldest.slice(0, exited.size - KEPT_EXITED_EXECS)) this.dropExec(xid);
  }

  /** Keep the views current with every commit from now on. */
  follow(journal: JournalReader): void {
    journal.committed$.subscribe((batch) => batch.forEach((e) => this.apply(e)));
  }

  /** Replay the whole journal, then follow its commits. */
  static async rebuild(journal: JournalReader): Promise<Views> {
    const v = new Views();
    for await (const e of journal.read()) v.apply(e);
    v.follow(journal);
    return v;
  }

  /** Views built from scratch from the records up to `untilSeq`, not following anything. */
  static async replay(journal: JournalReader, untilSeq: bigint): Promise<Views> {
    const v = new Views();
    for await (const e of journal.read()) {
      if (e.seq > untilSeq) break;
      v.apply(e);
    }
    return v;
  }

  /**
   * Checkpoint hook: every own field of the views, as they are (projections/checkpoint.ts
   * encodes them generically: a field added here is saved with no change there).
   */
  checkpointFields(): Record<string, unknown> {
    return { ...this } as Record<string, unknown>;
  }

  /**
   * Checkpoint hook: views from saved fields. They must be exactly the fields (and, within
   * plain objects, the keys; Maps, Sets and bigints where a fresh Views has them) that a
   * Views has now: a checkpoint of another shape is refused, never half-trusted.
   */
  static fromCheckpointFields(fields: Record<string, unknown>): Views {
    const v = new Views();
    const problem = shapeDifference(v.checkpointFields(), fields, 'views');
    if (problem) throw new Error(problem);
    Object.assign(v, fields);
    return v;
  }

  /** Everything the views hold, as plain sorted JSON: two views that answer alike compare equal. */
  snapshot(): string {
    return JSON.stringify(this, (_k, val: unknown) => {
      if (val instanceof Map) return [...val.entries()].sort(([a], [b]) => (String(a) < String(b) ? -1 : 1));
      if (val instanceof Set) return [...val].map(String).sort();
      if (typeof val === 'bigint') return val.toString();
      return val;
    });
  }
}

/** Where `saved` is not shaped as `fresh` (a fresh Views' field), or undefined. */
function shapeDifference(fresh: unknown, saved: unknown, at: string): string | undefined {
  const kind = (x: unknown) => (x instanceof Map ? 'Map' : x instanceof Set ? 'Set' : Array.isArray(x) ? 'array' : x === null ? 'null' : typeof x);
  // A field a fresh Views leaves undefined or null may hold anything later.
  if (fresh === undefined || fresh === null) return undefined;
  if (kind(fresh) !== kind(saved)) return `${at} is a ${kind(saved)}, a ${kind(fresh)} is expected`;
  if (kind(fresh) !== 'object') return undefined;
  const a = Object.keys(fresh as object).sort();
  const b = Object.keys(saved as object).sort();
  if (a.join('\0') !== b.join('\0')) {
    const missing = a.filter((k) => !b.includes(k));
    const extra = b.filter((k) => !a.includes(k));
    return `${at} has other fields than these views (${[...missing.map((k) => `missing ${k}`), ...extra.map((k) => `unknown ${k}`)].join(', ')})`;
  }
  for (const k of a) {
    const p = shapeDifference((fresh as Record<string, unknown>)[k], (saved as Record<string, unknown>)[k], `${at}.${k}`);
    if (p) return p;
  }
  return undefined;
}
