import type { ImageView } from '../domain/image';

/**
 * The tags of an image as a persistent ordered set, so that tagging makes a new ImageView in
 * O(1) and leaves every earlier one as it was.
 *
 * `ImageView.tags` stays a string[] in insertion order for every reader. Behind it, the images
 * of one line of history share a log: every ref ever added (in order), with the version that
 * added it and the one that removed it. An ImageView is one version of that log; its `tags` is
 * an accessor that makes the array of the refs live at its version once, on first read. Only
 * the newest ImageView (the log's `owner`) may extend the log; evolving any other one first
 * forks a fresh log from its own tags. A log with more dead entries than live ones is compacted
 * (forked) the same way: amortised O(1) per change.
 *
 * None of this is part of the views (absent from JSON, snapshots and checkpoints): a view
 * restored from a checkpoint has plain arrays, and gets a log when first tagged. An image's
 * version of the log is a non-enumerable own property (not a WeakMap entry, and defined
 * first: measured, it keeps a copy about as cheap as a plain object's).
 */
interface TagLog {
  refs: string[];
  added: number[];
  removed: number[];
  /** ref → the index of its live entry. */
  live: Map<string, number>;
  version: number;
  owner?: TagsAt;
}

interface TagsAt {
  log: TagLog;
  version: number;
  /** The array readers get, made on first read. */
  array?: string[];
}

/** The own, non-enumerable property that holds an image's version of its log. */
const AT = '_tagsAt';

function tagsAt(img: ImageView): TagsAt | undefined {
  return (img as unknown as { [AT]?: TagsAt })[AT];
}

function newLog(refs: Iterable<string>): TagLog {
  const log: TagLog = { refs: [], added: [], removed: [], live: new Map(), version: 0 };
  for (const ref of refs) append(log, ref);
  return log;
}

function append(log: TagLog, ref: string): void {
  log.live.set(ref, log.refs.length);
  log.refs.push(ref);
  log.added.push(log.version);
  log.removed.push(Infinity);
}

function arrayOf(t: TagsAt): string[] {
  if (t.array) return t.array;
  const { refs, added, removed } = t.log;
  const out: string[] = [];
  for (let i = 0; i < refs.length; i++) if (added[i] <= t.version && removed[i] > t.version) out.push(refs[i]);
  return (t.array = out);
}

/** One getter and setter for every tagged ImageView (they find their version by the object). */
function getTags(this: ImageView): string[] {
  return arrayOf(tagsAt(this)!);
}

function setTags(this: ImageView, v: string[]): void {
  // An assignment makes this object a line of its own (as a plain array would be).
  const log = newLog(v);
  const t: TagsAt = { log, version: log.version, array: v };
  log.owner = t;
  (this as unknown as { [AT]: TagsAt })[AT] = t;
}

const TAGS: PropertyDescriptor = { enumerable: true, configurable: true, get: getTags, set: setTags };

/**
 * A copy of `img` with the fields of `patch` (in `img`'s key order, new keys last) and, when
 * `tags` is given, those tags; `img` is not changed. The tags are never read as an array here.
 */
export function copyImage(img: ImageView, patch: Partial<Omit<ImageView, 'tags'>>, tags?: TagsAt): ImageView {
  const out = {} as Record<string, unknown>;
  const from = img as unknown as Record<string, unknown>;
  const p = patch as Record<string, unknown>;
  const t = tags ?? tagsAt(img);
  if (t) {
    const mine: TagsAt = { log: t.log, version: t.version, array: t.array };
    if (t.log.owner === t || tags) t.log.owner = mine;
    Object.defineProperty(out, AT, { value: mine, writable: true });
  }
  for (const k of Object.keys(img)) {
    if (k === 'tags' && t) Object.defineProperty(out, 'tags', TAGS);
    else out[k] = from[k];
  }
  // Assigned last: a key `img` has keeps its place, a new one goes last.
  return Object.assign(out, p) as unknown as ImageView;
}

/** The log `img` may extend: its own when it is the newest version, else a fork of its tags. */
function writable(img: ImageView): TagsAt {
  const t = tagsAt(img);
  if (t && t.log.owner === t && t.log.refs.length <= 2 * t.log.live.size + 32) return t;
  const log = newLog(t ? arrayOf(t) : img.tags);
  const fresh: TagsAt = { log, version: log.version };
  log.owner = fresh;
  return fresh;
}

/** `img` with `ref` among its tags (last, if it was not there) and the other fields of `patch`. */
export function withTag(img: ImageView, ref: string, patch: Partial<Omit<ImageView, 'tags'>>): ImageView {
  const t = writable(img);
  const { log } = t;
  if (log.live.has(ref)) return copyImage(img, patch, t);
  log.version++;
  append(log, ref);
  return copyImage(img, patch, { log, version: log.version });
}

/** `img` without `ref` among its tags; `img` itself when it did not have it. */
export function withoutTag(img: ImageView, ref: string): ImageView {
  const t = tagsAt(img);
  const has = t ? (t.log.owner === t ? t.log.live.has(ref) : arrayOf(t).includes(ref)) : img.tags.includes(ref);
  if (!has) return img;
  const w = writable(img);
  const { log } = w;
  log.version++;
  log.removed[log.live.get(ref)!] = log.version;
  log.live.delete(ref);
  return copyImage(img, {}, { log, version: log.version });
}
