import type { Envelope } from '../domain/envelope';
import type { ImageState, LayerState } from '../domain/image';
import type { JournalReader } from '../journal/journal';
import { nanosToRfc3339 } from '../domain/time';
import { evolveOpenBuilds, type OpenBuildsView } from './builds';
import { evolveContainers, type ContainersView } from './containers';
import { evolveExecs, type ExecsView } from './execs';
import { emptyImages, evolveImages } from './images';
import { emptyLayers, evolveLayers } from './layers';
import { evolveNames, type NamesView } from './names';
import { evolveNetworks, evolveRetiredBridges, type NetworksView, type RetiredBridgesView } from './networks';
import { emptyRemoved, evolveRemoved, type RemovedView } from './removed';
import { evolveVolumes, type VolumesView } from './volumes';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The in-memory views, rebuilt from the journal at boot and kept current by every commit.
 * They answer ps / inspect / images; nothing here is a source of truth.
 *
 * Each view is one projection (a file beside this one, with its own tests): a pure
 * `evolve(view, record) → view`, some also given what another view held before or after the
 * record. A view's collection (a Map or Set) is updated in place by set/delete, since copying
 * a whole map per record would not be O(1); the values in it are never changed: a record
 * replaces the entry it concerns with a new object, so a value read from a view stays as it
 * was read. This class only composes them, in an order that gives each what it reads.
 */
export class Views {
  readonly containers: ContainersView = new Map();
  readonly names: NamesView = new Map();
  readonly images: ImageState = emptyImages();
  /** Registry layers: what pulls fetched and where pushes put them. */
  readonly layers: LayerState = emptyLayers();
  /** Exec sessions, oldest first; those of a removed container go with it. */
  readonly execs: ExecsView = new Map();
  readonly volumes: VolumesView = new Map();
  /** User-defined networks by id. */
  readonly networks: NetworksView = new Map();
  /** Bridges of removed networks: boot deletes any a crash left behind. */
  readonly retiredBridges: RetiredBridgesView = new Set();
  /**
   * What the journal positively records as removed (destroyed containers; blobs and chains of
   * deleted images and released layers; removed volumes): the only files a boot sweep deletes.
   * Anything else it does not know goes to the quarantine.
   */
  readonly removed: RemovedView = emptyRemoved();
  /** Builds begun and not ended: boot ends them as failed (the daemon stopped during them). */
  readonly openBuilds: OpenBuildsView = new Set();
  appliedSeq = 0n;

  apply(e: Envelope): void {
    if (e.seq <= this.appliedSeq) return;
    const v = this as Mutable<Views>;
    v.appliedSeq = e.seq;
    // Before the images: a deleted image's layers are read from the image.
    v.removed = evolveRemoved(this.removed, e, this.images.images);
    if (e.type.startsWith('container.')) {
      const before = this.containers.get(e.data.id);
      v.containers = evolveContainers(this.containers, e);
      v.names = evolveNames(this.names, e.data.id, before, this.containers.get(e.data.id));
      v.execs = evolveExecs(this.execs, e, this.containers);
    } else if (e.type.startsWith('exec.')) {
      v.execs = evolveExecs(this.execs, e, this.containers);
    } else if (e.type.startsWith('network.')) {
      // Before the networks: a removed network's bridge is read from the network.
      v.retiredBridges = evolveRetiredBridges(this.retiredBridges, e, this.networks);
      v.networks = evolveNetworks(this.networks, e);
    } else if (e.type.startsWith('image.') || e.type.startsWith('layer.')) {
      v.images = evolveImages(this.images, e, nanosToRfc3339(e.time));
      v.layers = evolveLayers(this.layers, e);
    } else if (e.type.startsWith('build.')) {
      v.openBuilds = evolveOpenBuilds(this.openBuilds, e);
    } else if (e.type.startsWith('volume.')) {
      v.volumes = evolveVolumes(this.volumes, e);
    }
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
