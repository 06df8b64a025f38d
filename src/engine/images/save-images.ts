import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { chainIds, imageKeys } from '../../images/store';
import * as tar from 'tar-stream';
import type { ImageView } from '../../domain/image';
import { normaliseTag } from '../../domain/reference';
import { getImage } from '../lookup';

import type { EngineDeps } from '../ports';

/** What save-images uses of the engine. */
export type SaveImagesDeps = Pick<EngineDeps, 'journal' | 'views' | 'images' | 'log'>;
const MEDIA = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
  index: 'application/vnd.oci.image.index.v1+json',
};

const hex = (digest: string) => digest.replace(/^sha256:/, '');

/**
 * docker save: the images (and the tags asked for) as one archive in the layout Docker 25+
 * writes: an OCI image layout (oci-layout, index.json, blobs/sha256/...) that also carries
 * Docker's manifest.json and repositories, so docker, skopeo and containerd all read it.
 */
export async function saveImages(ctx: SaveImagesDeps, names: string[]): Promise<Readable> {
  const wanted = new Map<string, { img: ImageView; tags: Set<string> }>();
  for (const name of names) {
    const img = getImage(ctx.views, name);
    const entry = wanted.get(img.id) ?? { img, tags: new Set<string>() };
    // A name given as a reference saves that tag; an image saved by id carries no tag (as Docker's).
    const tag = tagOf(name);
    if (tag && ctx.views.images.tags.get(tag) === img.id) entry.tags.add(tag);
    wanted.set(img.id, entry);
  }
  // An rmi while the archive is written leaves what it reads until the save is over.
  const release = ctx.images.hold([...wanted.values()].flatMap(({ img }) => imageKeys(img)));
  const pack = tar.pack();
  const blobs = new Set<string>();
  const addJson = (name: string, value: unknown) => {
    const body = Buffer.from(JSON.stringify(value));
    pack.entry({ name, size: body.length, mode: 0o644, mtime: new Date(0) }, body);
    return body;
  };
  const addBlobBytes = (bytes: Buffer) => {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (!blobs.has(digest)) {
      blobs.add(digest);
      pack.entry({ name: `blobs/sha256/${hex(digest)}`, size: bytes.length, mode: 0o644, mtime: new Date(0) }, bytes);
    }
    return digest;
  };
  void (async () => {
    try {
      pack.entry({ name: 'blobs/', type: 'directory', mode: 0o755, mtime: new Date(0) });
      pack.entry({ name: 'blobs/sha256/', type: 'directory', mode: 0o755, mtime: new Date(0) });
      const manifests: unknown[] = [];
      const legacy: unknown[] = [];
      const repositories: Record<string, Record<string, string>> = {};
      for (const { img, tags } of wanted.values()) {
        const config = await ctx.images.readBlob(img.id);
        addBlobBytes(config);
        const layers: { digest: string; size: number }[] = [];
        const chains = chainIds(img.layers);
        for (const [i, diffId] of img.layers.entries()) {
          // The layer's tar, rebuilt from its unpacked files (checked against its diff id on the way).
          const size = await ctx.images.layerSize(diffId);
          if (!blobs.has(diffId)) {
            blobs.add(diffId);
            const layer = await ctx.images.openLayer(diffId, chains[i]);
            await new Promise<void>((resolve, reject) => {
              const entry = pack.entry({ name: `blobs/sha256/${hex(diffId)}`, size: layer.size, mode: 0o644, mtime: new Date(0) }, (err) => (err ? reject(err) : resolve()));
              pipeline(Readable.from(layer.stream), entry).catch(reject);
            });
          }
          layers.push({ digest: diffId, size });
        }
        const manifest = Buffer.from(JSON.stringify({
          schemaVersion: 2,
          mediaType: MEDIA.manifest,
          config: { mediaType: MEDIA.config, digest: img.id, size: config.length },
          layers: layers.map((l) => ({ mediaType: MEDIA.layer, digest: l.digest, size: l.size })),
        }));
        const manifestDigest = addBlobBytes(manifest);
        const refs = [...tags];
        const desc = { mediaType: MEDIA.manifest, digest: manifestDigest, size: manifest.length };
        if (refs.length) for (const t of refs) manifests.push({ ...desc, annotations: { 'io.containerd.image.name': fullName(t), 'org.opencontainers.image.ref.name': t.split(':').pop() } });
        else manifests.push(desc);
        legacy.push({ Config: `blobs/sha256/${hex(img.id)}`, RepoTags: refs.length ? refs : null, Layers: layers.map((l) => `blobs/sha256/${hex(l.digest)}`) });
        for (const t of refs) {
          const i = t.lastIndexOf(':');
          (repositories[t.slice(0, i)] ??= {})[t.slice(i + 1)] = hex(img.id);
        }
      }
      addJson('index.json', { schemaVersion: 2, mediaType: MEDIA.index, manifests });
      addJson('manifest.json', legacy);
      addJson('oci-layout', { imageLayoutVersion: '1.0.0' });
      if (Object.keys(repositories).length) addJson('repositories', repositories);
      // Recorded before the archive ends, so a client that has it sees the save event.
      await ctx.journal.append([...wanted.keys()].map((id) => ({ type: 'image.saved' as const, data: { id } })));
      pack.finalize();
    } catch (e) {
      ctx.log.error({ err: (e as Error).message }, 'docker save failed');
      pack.destroy(e as Error);
    } finally {
      release();
    }
  })();
  return pack as unknown as Readable;
}

function tagOf(name: string): string | undefined {
  try {
    return normaliseTag(name);
  } catch {
    return undefined;
  }
}

/** "busybox:latest" → "docker.io/library/busybox:latest", as containerd names images. */
function fullName(tag: string): string {
  const slash = tag.indexOf('/');
  const host = slash > 0 ? tag.slice(0, slash) : '';
  if (slash < 0) return `docker.io/library/${tag}`;
  if (!host.includes('.') && !host.includes(':') && host !== 'localhost') return `docker.io/${tag}`;
  return tag;
}
