import { decidePull } from '../../domain/image-decisions';
import { promises as fsp } from 'node:fs';
import { invalidArgument, WharfError } from '../../domain/errors';
import type { ImageConfig } from '../../domain/events';
import { shortId } from '../../domain/ids';
import { familiarName, familiarString, parseReference, type ImageReference } from '../../domain/reference';
import type { ProgressSink } from '../lib/progress';
import { chainIds } from '../../images/store';
import type { Credentials } from '../../registry/auth';
import { RegistrySession } from '../../registry/client';
import { fetchBlob, fetchManifest, listTags, openBlob, type FetchedManifest } from '../../registry/fetch';
import { hostPlatform, layerCompression, parsePlatform, platformString, selectPlatform, type ImageManifest, type Platform } from '../../registry/manifest';

import { crashPoint } from '../lib/crash-point';
import { runLimited } from '../lib/run-limited';

import type { EngineDeps } from '../ports';

/** What pull-image uses of the engine. */
export type PullImageDeps = Pick<EngineDeps, 'journal' | 'views' | 'images' | 'registry'>;
interface ImageConfigJson {
  created?: string;
  author?: string;
  comment?: string;
  os?: string;
  architecture?: string;
  variant?: string;
  config?: ImageConfig;
  rootfs?: { type?: string; diff_ids?: string[] };
  history?: { created: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
}

/** What a pull will fetch, found before any output is sent (so a bad name is an HTTP error). */
export interface PullPlan {
  session: RegistrySession;
  ref: ImageReference;
  /** "localhost:5000/app:1.0" or "localhost:5000/app@sha256:..." */
  familiar: string;
  manifestDigest: string;
  manifest: ImageManifest;
  configDigest: string;
  config: ImageConfigJson;
  configBytes: Buffer;
  diffIds: string[];
}

export interface PullRequest {
  /** fromImage, with tag as the API splits it (a tag that is a digest pulls by digest). */
  image: string;
  tag?: string;
  platform?: string;
  creds?: Credentials;
}

/** The reference to pull: "busybox" + "latest", "app@sha256:...", "app" + "sha256:..." . */
export function pullReference(image: string, tag?: string): ImageReference {
  const ref = parseReference(image);
  if (tag) {
    if (ref.tag || ref.digest) throw invalidArgument('invalid reference format');
    if (tag.includes(':')) {
      parseReference(`${image}@${tag}`);
      ref.digest = tag;
    } else {
      parseReference(`${image}:${tag}`);
      ref.tag = tag;
    }
  }
  if (!ref.tag && !ref.digest) ref.tag = 'latest';
  return ref;
}

/** A name with neither tag nor digest ("localhost:5000/app"); an invalid one is left to planPull to refuse. */
export function isBareName(image: string): boolean {
  try {
    const ref = parseReference(image);
    return !ref.tag && !ref.digest;
  } catch {
    return false;
  }
}

/** Resolve the reference to one image manifest and its config (manifest lists: the platform's entry). */
export async function planPull(ctx: PullImageDeps, r: PullRequest): Promise<PullPlan> {
  const ref = pullReference(r.image, r.tag);
  let platform: Platform | undefined;
  if (r.platform) {
    try {
      platform = parsePlatform(r.platform);
    } catch (e) {
      throw invalidArgument((e as Error).message);
    }
  }
  const familiar = familiarString(ref);
  const session = new RegistrySession(ref.domain, ref.path, ['pull'], r.creds, ctx.registry);
  let fetched: FetchedManifest;
  try {
    fetched = await fetchManifest(session, ref.digest ?? ref.tag!, ref.digest);
  } catch (e) {
    throw pullError(ref, familiar, e);
  }
  let manifest = fetched.manifest;
  const digest = fetched.digest;
  if (fetched.index) {
    const want = platform ?? hostPlatform();
    const entry = selectPlatform(fetched.index, want);
    if (!entry) throw new WharfError('not-found', `no matching manifest for ${platformString(want)} in the manifest list entries`);
    const m = await fetchManifest(session, entry.digest, entry.digest);
    if (!m.manifest) throw new WharfError('invalid-argument', `manifest ${entry.digest} of the list is itself a list`);
    // The repo digest stays the list's, as Docker records it.
    manifest = m.manifest;
  }
  if (!manifest) throw new WharfError('internal', 'no manifest');
  for (const l of manifest.layers) {
    if (!layerCompression(l.mediaType)) throw new WharfError('invalid-argument', `unsupported layer media type ${l.mediaType} (${l.digest})`);
  }
  const configBytes = await fetchBlob(session, manifest.config.digest, manifest.config.size);
  const config = JSON.parse(configBytes.toString('utf8')) as ImageConfigJson;
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length) {
    throw new WharfError('invalid-argument', `the image's config lists ${diffIds.length} layers and its manifest ${manifest.layers.length}`);
  }
  if (platform && config.architecture && (config.os !== platform.os || config.architecture !== platform.architecture) && !fetched.index) {
    throw new WharfError('not-found', `image with reference ${familiar} was found but does not match the specified platform: wanted ${platformString(platform)}, actual: ${[config.os, config.architecture, config.variant].filter(Boolean).join('/')}`);
  }
  return { session, ref, familiar, manifestDigest: digest, manifest, configDigest: manifest.config.digest, config, configBytes, diffIds };
}

/** Docker's words for a pull that cannot start. */
function pullError(ref: ImageReference, familiar: string, e: unknown): Error {
  const err = e as WharfError & { status?: number; code?: string };
  if (err.code === 'MANIFEST_UNKNOWN' || (err.status === 404 && err.code !== 'NAME_UNKNOWN')) {
    return new WharfError('not-found', `manifest for ${familiar} not found: ${err.message}`);
  }
  if (err.code === 'NAME_UNKNOWN' || err.code === 'DENIED') {
    return new WharfError('not-found', `pull access denied for ${familiarName(ref)}, repository does not exist or may require 'docker login': ${err.message}`);
  }
  // Not 401: the docker CLI would answer a 401 with an interactive login prompt.
  if (err.status === 401 || err.status === 403) return new WharfError('internal', err.message);
  return e as Error;
}

/**
 * Fetch what the store lacks, in parallel (--max-concurrent-downloads), each layer journaled
 * (layer.pulled) as soon as it is verified and unpacked, then the image (image.pulled) and
 * its tag. A layer already unpacked under its chain id is not fetched again, so a pull that
 * was cut short (a kill -9) resumes from the layers it had.
 */
export async function runPull(ctx: PullImageDeps, plan: PullPlan, out: ProgressSink, o: { status?: boolean } = {}): Promise<{ id: string; upToDate: boolean }> {
  while (releasing) await releasing;
  pulling++;
  try {
    return await pullLayersAndImage(ctx, plan, out, o);
  } finally {
    pulling--;
  }
}

/** Pulls under way, and a release of pulled layers under way: the two never overlap. */
let pulling = 0;
let releasing: Promise<void> | undefined;

/**
 * Run fn (removing layers pulls left) while no pull runs: none may find a layer present
 * that is about to go. With a pull under way, fn is not run (undefined).
 */
export async function whileNoPull<T>(fn: () => Promise<T>): Promise<T | undefined> {
  if (pulling || releasing) return undefined;
  let done = () => undefined as void;
  releasing = new Promise<void>((r) => (done = r));
  try {
    return await fn();
  } finally {
    releasing = undefined;
    done();
  }
}

async function pullLayersAndImage(ctx: PullImageDeps, plan: PullPlan, out: ProgressSink, o: { status?: boolean }): Promise<{ id: string; upToDate: boolean }> {
  const { ref, manifest, diffIds, session } = plan;
  const chains = chainIds(diffIds);
  // Docker sends this line without a progressDetail.
  out.send({ status: `Pulling from ${ref.path.replace(/^library\//, ref.domain === 'docker.io' ? 'library/' : '')}`, id: ref.tag ?? ref.digest });
  const present = await Promise.all(chains.map((c, i) => ctx.images.layerExists(c).then(async (ok) => ok && (await ctx.images.hasLayerTar(diffIds[i])))));
  const ids = manifest.layers.map((l) => shortId(l.digest));
  // The image itself is here already: Docker then lists no layers.
  const have = ctx.views.images.images.has(plan.configDigest) && present.every(Boolean);
  if (!have) for (const i of manifest.layers.keys()) out.status(present[i] ? 'Already exists' : 'Pulling fs layer', ids[i]);
  const todo = manifest.layers.map((l, i) => ({ l, i })).filter(({ i }) => !present[i]);
  if (todo.length > ctx.registry.maxConcurrentDownloads) for (const { i } of todo.slice(ctx.registry.maxConcurrentDownloads)) out.status('Waiting', ids[i]);
  const sizes: number[] = new Array<number>(diffIds.length).fill(0);
  const errors = await runLimited(todo, ctx.registry.maxConcurrentDownloads, async ({ l, i }) => {
    const body = await openBlob(session, l.digest);
    const { size } = await ctx.images.ingestVerified(body, {
      digest: l.digest,
      size: l.size,
      gzip: layerCompression(l.mediaType) === 'gzip',
      diffId: diffIds[i],
      chainId: chains[i],
      onBytes: (n) => out.progress('Downloading', ids[i], n, l.size),
    }).finally(() => body.destroy());
    out.status('Verifying Checksum', ids[i]);
    out.status('Download complete', ids[i]);
    out.progress('Extracting', ids[i], l.size, l.size);
    sizes[i] = size;
    await ctx.journal.append([{ type: 'layer.pulled', data: { id: diffIds[i], chainId: chains[i], digest: l.digest, size: l.size, repository: session.name } }]);
    crashPoint('pull.after-layer');
    out.status('Pull complete', ids[i]);
  });
  if (errors.length) throw errors[0];
  for (const [i, d] of diffIds.entries()) if (present[i]) sizes[i] = await ctx.images.layerSize(d);
  const id = await ctx.images.putBlob(plan.configBytes);
  if (id !== plan.configDigest) throw new WharfError('internal', `config digest mismatch: ${id} for ${plan.configDigest}`);
  const repoDigest = `${familiarName(ref)}@${plan.manifestDigest}`;
  const tagRef = ref.tag ? familiarString({ ...ref, digest: undefined }) : undefined;
  const { events, upToDate } = decidePull(ctx.views.images, { id, cfg: plan.config, diffIds, sizes, familiar: plan.familiar, repoDigest, tagRef });
  if (events.length) await ctx.journal.append(events, { name: plan.familiar });
  out.status(`Digest: ${plan.manifestDigest}`);
  if (o.status !== false) out.status(`Status: ${upToDate ? 'Image is up to date' : 'Downloaded newer image'} for ${plan.familiar}`);
  return { id, upToDate };
}

/**
 * docker pull -a (fromImage without a tag): every tag of the repository, one after the
 * other, then one status line for the repository.
 */
export async function pullAllTags(ctx: PullImageDeps, r: PullRequest, out: ProgressSink): Promise<void> {
  const ref = parseReference(r.image);
  const session = new RegistrySession(ref.domain, ref.path, ['pull'], r.creds, ctx.registry);
  let tags: string[];
  try {
    tags = await listTags(session);
  } catch (e) {
    throw pullError(ref, familiarName(ref), e);
  }
  if (!tags.length) throw new WharfError('not-found', `no tags found for ${familiarName(ref)}`);
  let upToDate = true;
  for (const tag of tags) {
    const plan = await planPull(ctx, { ...r, tag });
    upToDate = (await runPull(ctx, plan, out, { status: false })).upToDate && upToDate;
  }
  out.status(`Status: ${upToDate ? 'Image is up to date' : 'Downloaded newer image'} for ${familiarName(ref)}`);
}
