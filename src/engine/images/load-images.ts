import { decideLoad } from '../../domain/image-decisions';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { invalidArgument } from '../../domain/errors';
import type { ImageConfig } from '../../domain/events';
import { normaliseTag } from '../../domain/reference';
import type { PreRead } from '../../images/store';


import type { EngineDeps } from '../ports';

/** What load-images uses of the engine. */
export type LoadImagesDeps = Pick<EngineDeps, 'journal' | 'images'>;
/** What one image of an archive is made of: its config's bytes, its layers' files, its tags. */
interface ArchivedImage {
  config: Buffer;
  layers: string[]; // temp files, bottom first
  tags: string[];
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string };
}

/**
 * docker load: the images of a docker-archive (manifest.json: docker save, skopeo
 * docker-archive:) or an OCI image layout archive (index.json: skopeo oci-archive:). The
 * tar's files are kept as temp files under flat names, so nothing in the archive can write
 * anywhere else; layer digests are checked against the config's diff ids.
 * Returns the lines docker prints ("Loaded image: x:y", or "Loaded image ID: sha256:...").
 */
export async function loadImages(ctx: LoadImagesDeps, body: Readable): Promise<string[]> {
  const dir = ctx.images.tempPath('load');
  await fsp.mkdir(dir, { recursive: true });
  const pre = new Map<string, PreRead>();
  try {
    const files = await unpackFlat(ctx, body, dir, pre);
    const images = files.has('manifest.json') ? await dockerArchive(files) : files.has('index.json') ? await ociLayout(files) : undefined;
    if (!images) throw invalidArgument('invalid archive: no manifest.json or index.json');
    const out: string[] = [];
    for (const a of images) out.push(...(await loadOne(ctx, a, pre)));
    return out;
  } finally {
    // Files that were not layers (configs, manifests) or a failed load: their unpacking goes.
    await Promise.all([...pre.values()].map((p) => p.extraction?.abort()));
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

/** Files this big that are plain tars are unpacked as they are written, in case they are layers. */
const UNPACK_AHEAD = 1 << 20;

/**
 * Every regular file of the tar as dir/<n>, by its cleaned name; links resolved by name.
 * Each file is hashed as it is written (`pre`), and a big one that is not gzip is also
 * unpacked beside, into a temp dir that becomes a layer only if the file turns out to be one.
 */
async function unpackFlat(ctx: LoadImagesDeps, body: Readable, dir: string, pre: Map<string, PreRead>): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const links = new Map<string, string>();
  const extract = tar.extract();
  let n = 0;
  extract.on('entry', (h, stream, next) => {
    const name = path.posix.normalize(h.name).replace(/^(\.\/|\/)+/, '').replace(/\/$/, '');
    if (h.type === 'file' || h.type === 'contiguous-file') {
      const file = path.join(dir, String(n++));
      files.set(name, file);
      const hash = createHash('sha256');
      const info: PreRead = { diffId: '', size: 0, gzip: false };
      let first = true;
      const tee = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          const go = async () => {
            if (first) {
              first = false;
              info.gzip = chunk[0] === 0x1f && chunk[1] === 0x8b;
              if (!info.gzip && (h.size ?? 0) >= UNPACK_AHEAD) info.extraction = await ctx.images.startExtract();
            }
            hash.update(chunk);
            info.size += chunk.length;
            if (info.extraction?.mustWait(chunk)) await info.extraction.drained();
          };
          go().then(() => cb(null, chunk), cb);
        },
        flush(cb) {
          info.extraction?.end();
          info.diffId = `sha256:${hash.digest('hex')}`;
          cb();
        },
      });
      pre.set(file, info);
      pipeline(stream, tee, createWriteStream(file)).then(() => next(), next);
      return;
    }
    if ((h.type === 'symlink' || h.type === 'link') && h.linkname) {
      const target = h.type === 'symlink' ? path.posix.normalize(path.posix.join(path.posix.dirname(name), h.linkname)) : path.posix.normalize(h.linkname);
      links.set(name, target.replace(/^(\.\/|\/)+/, ''));
    }
    stream.on('end', () => next());
    stream.resume();
  });
  await pipeline(body, extract).catch((e: Error) => {
    throw invalidArgument(tarError(e));
  });
  for (const [name, target] of links) {
    const file = files.get(target);
    if (file) files.set(name, file);
  }
  return files;
}

/** A tar that cannot be read, in dockerd's words (its untar runs in a child: "exit status 1"). */
function tarError(e: Error): string {
  const go = /Invalid tar header/i.test(e.message) ? 'archive/tar: invalid tar header' : /Unexpected end of data|premature close/i.test(e.message) ? 'unexpected EOF' : e.message;
  return `Error processing tar file(exit status 1): ${go}`;
}

const need = (files: Map<string, string>, name: string) => {
  const f = files.get(path.posix.normalize(name).replace(/^(\.\/|\/)+/, ''));
  if (!f) throw invalidArgument(`invalid archive: ${name} is missing`);
  return f;
};
const readJson = async <T>(file: string) => JSON.parse(await fsp.readFile(file, 'utf8')) as T;

async function dockerArchive(files: Map<string, string>): Promise<ArchivedImage[]> {
  const manifest = await readJson<{ Config: string; RepoTags?: string[] | null; Layers: string[] }[]>(need(files, 'manifest.json'));
  return Promise.all(
    manifest.map(async (m) => ({
      config: await fsp.readFile(need(files, m.Config)),
      layers: m.Layers.map((l) => need(files, l)),
      tags: m.RepoTags ?? [],
    })),
  );
}

const blobFile = (files: Map<string, string>, digest: string) => need(files, `blobs/${digest.replace(':', '/')}`);

async function ociLayout(files: Map<string, string>): Promise<ArchivedImage[]> {
  const index = await readJson<{ manifests: Descriptor[] }>(need(files, 'index.json'));
  const out: ArchivedImage[] = [];
  for (const d of index.manifests) {
    const m = await manifestFor(files, d);
    const tag = d.annotations?.['io.containerd.image.name'] ?? d.annotations?.['org.opencontainers.image.ref.name'];
    out.push({
      config: await fsp.readFile(blobFile(files, m.config.digest)),
      layers: m.layers.map((l) => blobFile(files, l.digest)),
      tags: tag && tag.includes(':') ? [tag] : [],
    });
  }
  return out;
}

/** A manifest, or from an index the linux/amd64 one. */
async function manifestFor(files: Map<string, string>, d: Descriptor): Promise<{ config: Descriptor; layers: Descriptor[] }> {
  const doc = await readJson<{ manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] }>(blobFile(files, d.digest));
  if (doc.manifests) {
    const pick = doc.manifests.find((m) => (m.platform?.os ?? 'linux') === 'linux' && (m.platform?.architecture ?? 'amd64') === 'amd64');
    if (!pick) throw invalidArgument('no linux/amd64 image in the archive');
    return manifestFor(files, pick);
  }
  if (!doc.config || !doc.layers) throw invalidArgument('invalid archive: a manifest without config or layers');
  return { config: doc.config, layers: doc.layers };
}

async function loadOne(ctx: LoadImagesDeps, a: ArchivedImage, pre: Map<string, PreRead>): Promise<string[]> {
  const cfg = JSON.parse(a.config.toString('utf8')) as {
    created?: string;
    author?: string;
    comment?: string;
    config?: ImageConfig;
    os?: string;
    architecture?: string;
    variant?: string;
    rootfs?: { diff_ids?: string[] };
    history?: { created: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
  };
  const diffIds = cfg.rootfs?.diff_ids ?? [];
  if (diffIds.length !== a.layers.length) throw invalidArgument(`invalid archive: ${a.layers.length} layers for ${diffIds.length} diff ids`);
  const sizes: number[] = [];
  let chain: string | undefined;
  for (const [i, file] of a.layers.entries()) {
    // The file is moved into the store when it can be: a layer listed twice is read from its blob.
    const layer = (await fsp.access(file).then(() => true, () => false))
      ? await ctx.images.ingestLayerFile(file, chain, pre.get(file))
      : await ctx.images.ingestLayer(createReadStream(ctx.images.blobPath(diffIds[i])), chain);
    if (layer.diffId !== diffIds[i]) throw invalidArgument(`invalid diffID for layer ${i}: expected "${diffIds[i]}", got "${layer.diffId}"`);
    chain = layer.chainId;
    sizes.push(layer.size);
  }
  const id = await ctx.images.putBlob(a.config);
  if (id !== `sha256:${createHash('sha256').update(a.config).digest('hex')}`) throw invalidArgument('config digest mismatch');
  const tags = a.tags.map((t) => normaliseTag(t));
  const events = decideLoad(id, cfg, diffIds, sizes, tags);
  await ctx.journal.append(events, tags.length ? { name: tags[0] } : undefined);
  return tags.length ? tags.map((t) => `Loaded image: ${t}`) : [`Loaded image ID: ${id}`];
}
