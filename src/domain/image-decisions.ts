import { conflict, invalidArgument } from './errors';
import type { ImageConfig, WharfEvent } from './events';
import { shortId } from './ids';
import { platformOf, type ImageState, type ImageView } from './image';
import { checkTag, checkTaggable, familiarString, normaliseTag, parseReference } from './reference';

// The decisions of the image operations: given what the views hold and what was asked (or
// what a load or pull brought), the facts to append, or Docker's refusal. Pure: no I/O, no
// view changed; the operations in engine/images/ do the I/O around them.

/** An image config as archives and registries give it (the OCI/Docker image JSON). */
export interface ImageJson {
  created?: string;
  config?: ImageConfig;
  comment?: string;
  history?: { created: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
  author?: string;
  os?: string;
  architecture?: string;
  variant?: string;
}

/** The record of an image made from its config and its layers (diff ids, bottom first, and their sizes). */
function imageRecord(id: string, cfg: ImageJson, diffIds: string[], sizes: number[]) {
  return {
    id,
    created: cfg.created ?? new Date(0).toISOString(),
    layers: diffIds,
    layerSizes: sizes,
    size: sizes.reduce((a, b) => a + b, 0),
    config: cfg.config ?? {},
    comment: cfg.comment ?? '',
    history: cfg.history ?? [],
    author: cfg.author ?? '',
    ...platformOf(cfg),
  };
}

/** docker load: the image, then each of its tags (a tag held by another image moves to it). */
export function decideLoad(id: string, cfg: ImageJson, diffIds: string[], sizes: number[], tags: string[]): WharfEvent[] {
  return [{ type: 'image.loaded', data: imageRecord(id, cfg, diffIds, sizes) }, ...tags.map((ref): WharfEvent => ({ type: 'image.tagged', data: { id, ref } }))];
}

export interface PullOutcome {
  id: string;
  cfg: ImageJson;
  diffIds: string[];
  sizes: number[];
  /** What was pulled, as docker names it. */
  familiar: string;
  /** name@sha256:<manifest digest>. */
  repoDigest: string;
  /** The tag pulled (none for a pull by digest). */
  tagRef?: string;
}

/** docker pull, once every layer is in: nothing when the image and its tag are already there ("Image is up to date"). */
export function decidePull(state: ImageState, o: PullOutcome): { events: WharfEvent[]; upToDate: boolean } {
  const known = (state.images.get(o.id)?.repoDigests ?? []).includes(o.repoDigest);
  const upToDate = known && (o.tagRef === undefined || state.tags.get(o.tagRef) === o.id);
  if (upToDate) return { events: [], upToDate };
  const events: WharfEvent[] = [{ type: 'image.pulled', data: { ...imageRecord(o.id, o.cfg, o.diffIds, o.sizes), ref: o.familiar, repoDigest: o.repoDigest } }];
  if (o.tagRef) events.push({ type: 'image.tagged', data: { id: o.id, ref: o.tagRef } });
  return { events, upToDate };
}

/** docker tag: the reference checked as Docker checks it; the tag moves to this image. */
export function decideTag(img: ImageView, repo: string, tag?: string): WharfEvent[] {
  const parsed = parseReference(repo);
  if (tag) {
    checkTag(tag);
    if (parsed.tag) throw invalidArgument('invalid reference format');
    parsed.tag = tag;
  }
  if (parsed.digest) throw invalidArgument('refusing to create a tag with a digest reference');
  checkTaggable(parsed);
  return [{ type: 'image.tagged', data: { id: img.id, ref: familiarString(parsed) } }];
}

/** What rmi needs to know of the containers: which image each runs, and whether it runs. */
export interface ImageUser {
  id: string;
  imageId: string;
  running: boolean;
}

export interface RemoveImageRequest {
  /** As the user typed it: a reference or an id (prefix). */
  ref: string;
  force: boolean;
  noPrune: boolean;
}

/** The reference rmi names, when it names the image by one of its tags (else it names it by id). */
export function tagNamed(state: ImageState, img: ImageView, ref: string): string | undefined {
  try {
    const t = normaliseTag(ref);
    return state.tags.get(t) === img.id ? t : undefined;
  } catch {
    return undefined; // an id, not a reference
  }
}

/**
 * docker rmi: untag the reference; delete the image when no tag and no container is left on
 * it, with the untagged parents nothing else holds (unless noPrune). Docker's refusals
 * otherwise, and the order of its answer: untags, then deletes.
 */
export function decideRemoveImage(state: ImageState, users: ImageUser[], img: ImageView, r: RemoveImageRequest): WharfEvent[] {
  const byTag = tagNamed(state, img, r.ref);
  const mine = users.filter((c) => c.imageId === img.id);
  const running = mine.find((c) => c.running);
  const events: WharfEvent[] = [];
  const hasChildren = [...state.images.values()].some((i) => i.parent === img.id);
  if (hasChildren && !byTag) throw conflict(`conflict: unable to delete ${shortId(img.id)} (cannot be forced) - image has dependent child images`);
  if (byTag && (img.tags.length > 1 || hasChildren)) {
    // Another tag, or a child image (a commit on top of it), keeps the image: only the name goes.
    return [{ type: 'image.untagged', data: { id: img.id, ref: byTag } }];
  }
  if (!byTag && img.tags.length > 1 && !r.force) {
    throw conflict(`conflict: unable to delete ${shortId(img.id)} (must be forced) - image is referenced in multiple repositories`);
  }
  if (running) {
    throw conflict(
      byTag && !r.force
        ? `conflict: unable to remove repository reference "${r.ref}" (must force) - container ${shortId(running.id)} is using its referenced image ${shortId(img.id)}`
        : `conflict: unable to delete ${shortId(img.id)} (cannot be forced) - image is being used by running container ${shortId(running.id)}`,
    );
  }
  if (mine.length && !r.force) {
    throw conflict(
      byTag
        ? `conflict: unable to remove repository reference "${r.ref}" (must force) - container ${shortId(mine[0].id)} is using its referenced image ${shortId(img.id)}`
        : `conflict: unable to delete ${shortId(img.id)} (must be forced) - image is being used by stopped container ${shortId(mine[0].id)}`,
    );
  }
  for (const t of img.tags) events.push({ type: 'image.untagged', data: { id: img.id, ref: t } });
  // A forced removal under a stopped container leaves it dangling: its layers are still in use.
  if (!mine.length) {
    events.push({ type: 'image.deleted', data: { id: img.id } });
    if (!r.noPrune) events.push(...untaggedParents(state, users, img).map((id): WharfEvent => ({ type: 'image.deleted', data: { id } })));
  }
  return events;
}

/**
 * The untagged ancestors that go with a deleted image, as Docker prunes them (the
 * intermediate images of a build): up the parent line while an image has no tag, no
 * container and no other child.
 */
function untaggedParents(state: ImageState, users: ImageUser[], img: ImageView): string[] {
  const all = state.images;
  const used = new Set(users.map((c) => c.imageId));
  const out: string[] = [];
  let child = img;
  for (let p = img.parent ? all.get(img.parent) : undefined; p; p = p.parent ? all.get(p.parent) : undefined) {
    const parentId = p.id;
    if (p.tags.length || used.has(parentId)) break;
    if ([...all.values()].some((i) => i.parent === parentId && i.id !== child.id)) break;
    out.push(parentId);
    child = p;
  }
  return out;
}
