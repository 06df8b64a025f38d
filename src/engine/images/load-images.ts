import { decideLoad } from '../../domain/image-decisions';
import { createHash, type Hash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { FileHandle } from 'node:fs/promises';
import { headerChecksumOk, TarFormatError, TarScanner, type TarEntry } from '../../images/tar-scan';
import { invalidArgument } from '../../domain/errors';
import type { ImageConfig } from '../../domain/events';
import { normaliseTag } from '../../domain/reference';
import { chainIds, chainOf, type PreRead } from '../../images/store';


import type { EngineDeps } from '../ports';

/** What load-images uses of the engine. */
export type LoadImagesDeps = Pick<EngineDeps, 'journal' | 'images' | 'views'>;
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
  const held: (() => void)[] = []; // layers of the store this load rebuilds from (see unpackFlat)
  try {
    const files = await unpackFlat(ctx, body, dir, pre, storedLayers(ctx), held);
    const images = files.has('manifest.json') ? await dockerArchive(files) : files.has('index.json') ? await ociLayout(files) : undefined;
    if (!images) throw invalidArgument('invalid archive: no manifest.json or index.json');
    const out: string[] = [];
    const loaded = new Map<string, string>(); // diff id → a chain this load unpacked it under
    for (const a of images) out.push(...(await loadOne(ctx, a, pre, loaded)));
    return out;
  } finally {
    // Files that were not layers (configs, manifests) or a failed load: their unpacking goes.
    await Promise.all([...pre.values()].map((p) => p.intake?.abort()));
    await fsp.rm(dir, { recursive: true, force: true });
    for (const release of held) release();
  }
}

/** Files this big that are plain tars are taken in as layers as they come (unpacked and indexed, never written as a file). */
const UNPACK_AHEAD = 1 << 20;

/** The layers of the images the store has: diff id → a chain whose top layer it is. */
function storedLayers(ctx: LoadImagesDeps): Map<string, string> {
  const out = new Map<string, string>();
  for (const img of ctx.views.images.images.values()) {
    const chains = chainIds(img.layers);
    for (const [i, diffId] of img.layers.entries()) if (!out.has(diffId)) out.set(diffId, chains[i]);
  }
  return out;
}

/**
 * Every regular file of the tar as dir/<n>, by its cleaned name; links resolved by name.
 * Each file is hashed as it comes (`pre`); a big one that is a plain tar is taken in as a
 * layer (unpacked and indexed, not written), to be used if it turns out to be one.
 */
async function unpackFlat(ctx: LoadImagesDeps, body: Readable, dir: string, pre: Map<string, PreRead>, stored: Map<string, string>, held: (() => void)[]): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const links = new Map<string, string>();
  let n = 0;
  type Current = { e: TarEntry; name: string; file: string; info: PreRead; hash: Hash; head: Buffer[]; headLen: number; fh?: FileHandle; failed?: Error };
  let cur: Current | undefined;
  const pieces: { kind: string; b: Buffer; e?: TarEntry; start?: TarEntry }[] = [];
  const scanner = new TarScanner({
    entry: (e) => pieces.push({ kind: 'entry', b: Buffer.alloc(0), start: e }),
    bytes: (kind, b, e) => {
      if (kind === 'data') pieces.push({ kind, b, e });
    },
  });
  const begin = async (c: Current, first: Buffer) => {
    c.info.gzip = first[0] === 0x1f && first[1] === 0x8b;
    if (!c.info.gzip && c.e.size >= UNPACK_AHEAD && looksLikeTar(first)) {
      // Named for a layer the store has (Docker 25+ and OCI archives name layers by digest):
      // hashed only, not unpacked again; loadOne checks the digest against the config's.
      const named = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(c.name)?.[1];
      const chain = named ? stored.get(`sha256:${named}`) : undefined;
      // Held first: an rmi from here on leaves it to this load.
      const release = chain ? ctx.images.hold([chain, `sha256:${named}`]) : undefined;
      if (release && (await ctx.images.layerExists(chain!)) && (await ctx.images.hasLayerTar(`sha256:${named}`))) {
        held.push(release);
        c.info.storedAs = chain;
        c.info.intake = await ctx.images.intake({ unpack: false, index: false });
      } else {
        release?.();
        c.info.intake = await ctx.images.intake();
      }
    } else c.fh = await fsp.open(c.file, 'w');
  };
  const feed = async (c: Current, b: Buffer) => {
    if (!c.info.intake) c.hash.update(b); // an intake hashes what it takes
    c.info.size += b.length;
    if (c.failed) return;
    try {
      if (c.info.intake) await c.info.intake.write(b);
      else await c.fh!.write(b);
    } catch (e) {
      c.failed = e as Error;
    }
  };
  const finish = async (c: Current) => {
    if (c.headLen) {
      const first = Buffer.concat(c.head);
      c.head = [];
      c.headLen = 0;
      await begin(c, first);
      await feed(c, first);
    }
    await c.fh?.close();
    if (c.info.intake && !c.failed) {
      try {
        c.info.diffId = c.info.intake.end().diffId;
      } catch (e) {
        c.failed = e as Error;
      }
    } else if (!c.info.intake) c.info.diffId = `sha256:${c.hash.digest('hex')}`;
    if (c.failed && c.info.intake) {
      await c.info.intake.abort();
      c.info.intake = undefined;
      c.info.failed = c.failed;
    }
  };
  const handle = async (p: (typeof pieces)[number]) => {
    if (p.start) {
      const h = p.start;
      const name = path.posix.normalize(h.name).replace(/^(\.\/|\/)+/, '').replace(/\/$/, '');
      if (h.type === '0' || h.type === '7') {
        const file = path.join(dir, String(n++));
        files.set(name, file);
        const info: PreRead = { diffId: '', size: 0, gzip: false };
        pre.set(file, info);
        cur = { e: h, name, file, info, hash: createHash('sha256'), head: [], headLen: 0 };
        if (h.size === 0) {
          await fsp.writeFile(file, '');
          await finish(cur);
          cur = undefined;
        }
      } else if ((h.type === '2' || h.type === '1') && h.linkname) {
        const target = h.type === '2' ? path.posix.normalize(path.posix.join(path.posix.dirname(name), h.linkname)) : path.posix.normalize(h.linkname);
        links.set(name, target.replace(/^(\.\/|\/)+/, ''));
      }
      return;
    }
    if (!cur || p.e !== cur.e) return;
    const c = cur;
    if (!c.fh && !c.info.intake) {
      // The first 512 bytes say what the file is (gzip, a tar).
      c.head.push(p.b);
      c.headLen += p.b.length;
      if (c.headLen < 512 && c.info.size + c.headLen < c.e.size) return;
      const first = Buffer.concat(c.head);
      c.head = [];
      c.headLen = 0;
      await begin(c, first);
      await feed(c, first);
    } else await feed(c, p.b);
    if (c.info.size === c.e.size) {
      await finish(c);
      cur = undefined;
    }
  };
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      scanner.write(chunk);
      // Data pieces are views of this chunk: used before the next one is read.
      for (const p of pieces.splice(0)) await handle(p);
    }
    scanner.end();
    if (cur) throw new TarFormatError('unexpected EOF');
  } catch (e) {
    if (cur) await cur.fh?.close().catch(() => undefined);
    throw invalidArgument(tarError(e as Error));
  }
  for (const [name, target] of links) {
    const file = files.get(target);
    if (file) files.set(name, file);
  }
  return files;
}

/** The first block of a tar (a header whose checksum holds). */
function looksLikeTar(first: Buffer): boolean {
  return first.length >= 512 && headerChecksumOk(first.subarray(0, 512));
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

/** A layer this load took in already, or the store had, on another parent: its tar again, from the store. */
async function sameLayerElsewhere(ctx: LoadImagesDeps, diffId: string, chainId: string | undefined): Promise<Readable> {
  if (!chainId) throw invalidArgument(`invalid archive: the layer ${diffId} is missing`);
  return Readable.from((await ctx.images.openLayer(diffId, chainId)).stream);
}

async function loadOne(ctx: LoadImagesDeps, a: ArchivedImage, pre: Map<string, PreRead>, loaded: Map<string, string>): Promise<string[]> {
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
    const info = pre.get(file);
    if (info?.failed) throw invalidArgument(`failed to load layer ${i}: ${info.failed.message}`);
    // A plain tar's digest is known already (a compressed one's is known once it is inflated).
    const plain = info && !info.gzip ? info : undefined;
    if (plain && plain.diffId !== diffIds[i]) throw invalidArgument(`invalid diffID for layer ${i}: expected "${diffIds[i]}", got "${plain.diffId}"`);
    const want = chain ? chainOf(chain, diffIds[i]) : diffIds[i];
    if (plain && (await ctx.images.layerExists(want)) && (await ctx.images.hasLayerTar(diffIds[i]))) {
      // Already in the store (an earlier load or pull, or the same layer twice in this archive).
      await plain.intake?.abort();
      plain.intake = undefined;
      chain = want;
      sizes.push(plain.size);
      continue;
    }
    let layer;
    if (plain?.storedAs) {
      // Only hashed (the store had it): its tar is rebuilt from the chain it is stored under.
      await plain.intake?.abort();
      plain.intake = undefined;
      layer = await ctx.images.ingestLayer(await sameLayerElsewhere(ctx, diffIds[i], loaded.get(diffIds[i]) ?? plain.storedAs), chain);
    } else if (info?.intake || (await fsp.access(file).then(() => true, () => false))) {
      layer = await ctx.images.ingestLayerFile(file, chain, info);
    } else {
      layer = await ctx.images.ingestLayer(await sameLayerElsewhere(ctx, diffIds[i], loaded.get(diffIds[i])), chain);
    }
    if (layer.diffId !== diffIds[i]) throw invalidArgument(`invalid diffID for layer ${i}: expected "${diffIds[i]}", got "${layer.diffId}"`);
    chain = layer.chainId;
    loaded.set(layer.diffId, layer.chainId);
    sizes.push(layer.size);
  }
  const id = await ctx.images.putBlob(a.config);
  if (id !== `sha256:${createHash('sha256').update(a.config).digest('hex')}`) throw invalidArgument('config digest mismatch');
  const tags = a.tags.map((t) => normaliseTag(t));
  const events = decideLoad(id, cfg, diffIds, sizes, tags);
  await ctx.journal.append(events, tags.length ? { name: tags[0] } : undefined);
  return tags.length ? tags.map((t) => `Loaded image: ${t}`) : [`Loaded image ID: ${id}`];
}
