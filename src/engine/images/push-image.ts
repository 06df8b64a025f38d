import { parallelGzip } from '../../images/pgzip';
import { chainIds, imageKeys } from '../../images/store';
import { WharfError } from '../../domain/errors';
import type { ImageView } from '../../domain/image';
import { shortId } from '../../domain/ids';
import { familiarName, familiarString, parseReference, type ImageReference } from '../../domain/reference';
import type { ProgressSink } from '../lib/progress';
import type { Credentials } from '../../registry/auth';
import { RegistrySession } from '../../registry/client';
import { dockerManifest, MEDIA } from '../../registry/manifest';
import { blobExists, putManifest, startUpload, uploadMonolithic, uploadStream } from '../../registry/upload';

import { runLimited } from '../lib/run-limited';

import type { EngineDeps } from '../ports';

/** What push-image uses of the engine. */
export type PushImageDeps = Pick<EngineDeps, 'journal' | 'views' | 'images' | 'registry'>;
export interface PushTarget {
  ref: ImageReference;
  image: ImageView;
}

/**
 * The tags a push names: NAME:TAG, or with no tag every local tag of the repository.
 * An unknown one is Docker's "An image does not exist locally with the tag".
 */
export function pushTargets(ctx: PushImageDeps, name: string, tag?: string): PushTarget[] {
  const ref = parseReference(tag ? `${name}:${tag}` : name);
  const repo = familiarName(ref);
  const tags = ref.tag ? [familiarString(ref)] : [...ctx.views.images.tags.keys()].filter((t) => t.slice(0, t.lastIndexOf(':')) === repo).sort();
  const out = tags.flatMap((t) => {
    const id = ctx.views.images.tags.get(t);
    const image = id ? ctx.views.images.images.get(id) : undefined;
    return image ? [{ ref: parseReference(t), image }] : [];
  });
  if (!out.length) throw new WharfError('not-found', `An image does not exist locally with the tag: ${ref.tag ? familiarString(ref) : repo}`);
  return out;
}

/**
 * docker push: for each layer, what the registry already has is left alone (HEAD), a blob
 * another repository of the registry holds is mounted, the rest is compressed and
 * uploaded (--max-concurrent-uploads at once); then the config and the manifest.
 */
export async function runPush(ctx: PushImageDeps, name: string, tag: string | undefined, creds: Credentials | undefined, out: ProgressSink): Promise<void> {
  const targets = pushTargets(ctx, name, tag);
  // An rmi while the layers are read leaves them until the push is over.
  const release = ctx.images.hold(targets.flatMap((t) => imageKeys(t.image)));
  try {
    const { ref } = targets[0];
    out.status(`The push refers to repository [${familiarName(ref)}]`);
    const session = new RegistrySession(ref.domain, ref.path, ['pull', 'push'], creds, ctx.registry);
    await session.ping();
    for (const t of targets) await pushOne(ctx, session, t, out);
  } finally {
    release();
  }
}

async function pushOne(ctx: PushImageDeps, session: RegistrySession, { ref, image }: PushTarget, out: ProgressSink): Promise<void> {
  const ids = image.layers.map((d) => shortId(d));
  const order = [...image.layers.keys()].reverse(); // Docker lists the top layer first
  for (const i of order) out.status('Preparing', ids[i]);
  if (order.length > ctx.registry.maxConcurrentUploads) for (const i of order.slice(ctx.registry.maxConcurrentUploads)) out.status('Waiting', ids[i]);
  const chains = chainIds(image.layers);
  const pushed: { diffId: string; digest: string; size: number }[] = new Array(image.layers.length);
  const errors = await runLimited(order, ctx.registry.maxConcurrentUploads, async (i) => {
    pushed[i] = await pushLayer(ctx, session, image.layers[i], chains[i], ids[i], out);
  });
  if (errors.length) throw errors[0];

  const config = await ctx.images.readBlob(image.id);
  if (!(await blobExists(session, image.id))) {
    const up = await startUpload(session);
    if (!up.mounted) await uploadMonolithic(session, up.location, config, image.id);
  }
  const manifest = dockerManifest({ digest: image.id, size: config.length }, pushed);
  const tag = ref.tag ?? 'latest';
  const digest = await putManifest(session, tag, manifest, MEDIA.dockerManifest);
  const repoDigest = `${familiarName(ref)}@${digest}`;
  await ctx.journal.append([{ type: 'image.pushed', data: { id: image.id, ref: familiarString(ref), repoDigest, size: manifest.length, layers: pushed } }], { name: familiarString(ref) });
  out.status(`${tag}: digest: ${digest} size: ${manifest.length}`);
  out.send({ progressDetail: {}, aux: { Tag: tag, Digest: digest, Size: manifest.length } });
}

async function pushLayer(ctx: PushImageDeps, session: RegistrySession, diffId: string, chainId: string, id: string, out: ProgressSink): Promise<{ diffId: string; digest: string; size: number }> {
  const sources = ctx.views.layers.sources.get(diffId) ?? [];
  // Known to be in this repository, or anywhere in this registry: ask before sending anything.
  for (const s of sources) {
    if (s.repos.some((r) => sameRegistry(r, session)) && (await blobExists(session, s.digest))) {
      out.status('Layer already exists', id);
      return { diffId, digest: s.digest, size: s.size };
    }
  }
  for (const s of sources) {
    const from = s.repos.find((r) => sameRegistry(r, session) && r !== session.name);
    if (!from) continue;
    const up = await startUpload(session, { digest: s.digest, from: from.slice(session.domain.length + 1) });
    if (up.mounted) {
      out.status(`Mounted from ${from.slice(session.domain.length + 1)}`, id);
      return { diffId, digest: s.digest, size: s.size };
    }
    return upload(ctx, session, diffId, chainId, id, up.location, out);
  }
  const up = await startUpload(session);
  if (up.mounted) throw new Error('unexpected mount');
  return upload(ctx, session, diffId, chainId, id, up.location, out);
}

async function upload(ctx: PushImageDeps, session: RegistrySession, diffId: string, chainId: string, id: string, location: string, out: ProgressSink) {
  // The layer's tar, rebuilt from its unpacked files; a tree that no longer gives the diff id
  // fails the stream before its end, so the upload is never completed under a wrong digest.
  const layer = await ctx.images.openLayer(diffId, chainId);
  const total = layer.size;
  let read = 0;
  async function* counted() {
    for await (const c of layer.stream) {
      read += c.length;
      out.progress('Pushing', id, read, total);
      yield c;
    }
  }
  // Compressed on several threads (a multi-member gzip, read by every gzip reader).
  const { digest, size } = await uploadStream(session, location, parallelGzip(counted()));
  out.status('Pushed', id);
  return { diffId, digest, size };
}

const sameRegistry = (repo: string, session: RegistrySession) => repo.startsWith(`${session.domain}/`);
