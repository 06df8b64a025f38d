import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, openSync, promises as fsp, writeSync } from 'node:fs';
import path from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { BlobBody, LentChunk } from '../registry/pooled-get';
import { tarWhiteoutsToOverlay } from '../storage/whiteouts';
import { chainIds, chainOf } from '../domain/layer-chain';
import { drained, startExtract, type Extraction } from './extract';
import type { FileHandle } from 'node:fs/promises';
import { decodeIndex, encodeIndex, LayerDamagedError, regenerate, TarSplitter, type DirectFiles, type Stash, type TarSplitIndex } from './tar-split';

/** Files of a layer this big are written by the daemon itself, not passed through the unpacking tar. */
const DIRECT_MIN = 1 << 20;

/** What an image reads from the store (its config blob, its layers' indexes and chains): for ImageStore.hold. */
export function imageKeys(image: { id: string; layers: string[] }): string[] {
  return [image.id, ...image.layers, ...chainIds(image.layers)];
}

/** Digests and chain ids the images use now: asked at a removal, and again when one held is let go. */
export type InUse = () => Set<string>;
const NONE_IN_USE: InUse = () => new Set();

/**
 * The content store: blobs/sha256/<hex>, written to a temp file and renamed into place
 * once their digest is known, so a partly written blob is never visible. Layers are
 * unpacked once, by chain id, and shared by every image and container that uses them.
 */
export class ImageStore {
  /** Chain ids and digests a save or push is reading (see hold()), by how many hold them. */
  private readonly held = new Map<string, number>();
  /** Removals asked for while held: done when the last holder lets go, if still unused then. */
  private readonly afterRelease = new Map<string, () => Promise<void>>();

  constructor(readonly root: string) {}

  /**
   * Hold these chain ids and digests while they are read (a save, a push): a removal asked for
   * meanwhile (rmi, image prune) waits until the last holder lets go, as Docker's leases keep
   * content a reader uses. Returns the release (once is enough; later calls do nothing).
   */
  hold(keys: string[]): () => void {
    for (const k of keys) this.held.set(k, (this.held.get(k) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const k of keys) {
        const n = (this.held.get(k) ?? 1) - 1;
        if (n > 0) {
          this.held.set(k, n);
          continue;
        }
        this.held.delete(k);
        const remove = this.afterRelease.get(k);
        this.afterRelease.delete(k);
        void remove?.().catch(() => undefined);
      }
    };
  }

  /** remove() now, or once `key` is no longer held, if no image uses it then. */
  private removeWhenFree(key: string, remove: () => Promise<void>, inUse: InUse): Promise<void> {
    if (!this.held.has(key)) return remove();
    this.afterRelease.set(key, () => (inUse().has(key) ? Promise.resolve() : remove()));
    return Promise.resolve();
  }

  get blobsDir(): string {
    return path.join(this.root, 'blobs', 'sha256');
  }

  get layersDir(): string {
    return path.join(this.root, 'layers');
  }

  async init(): Promise<void> {
    await Promise.all([this.blobsDir, this.layersDir, this.indexDir, this.tmpDir].map((d) => fsp.mkdir(d, { recursive: true })));
  }

  private get tmpDir(): string {
    return path.join(this.root, 'tmp');
  }

  /** A fresh path under the store's temp dir (swept at boot). */
  tempPath(prefix = 'tmp'): string {
    return path.join(this.tmpDir, `${prefix}-${randomBytes(8).toString('hex')}`);
  }

  blobPath(digest: string): string {
    return path.join(this.blobsDir, digest.replace(/^sha256:/, ''));
  }

  layerDir(chainId: string): string {
    return path.join(this.layersDir, chainId.replace(/^sha256:/, ''), 'diff');
  }

  async hasBlob(digest: string): Promise<boolean> {
    return fsp.access(this.blobPath(digest)).then(() => true, () => false);
  }

  async putBlob(bytes: Buffer | string): Promise<string> {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (!(await this.hasBlob(digest))) {
      const tmp = path.join(this.tmpDir, randomBytes(8).toString('hex'));
      await fsp.writeFile(tmp, bytes);
      await fsp.rename(tmp, this.blobPath(digest));
    }
    return digest;
  }

  async readBlob(digest: string): Promise<Buffer> {
    return fsp.readFile(this.blobPath(digest));
  }

  get indexDir(): string {
    return path.join(this.root, 'tar-split');
  }

  /** The tar-split index of a layer (what rebuilds its tar from its unpacked files). */
  indexPath(diffId: string): string {
    return path.join(this.indexDir, diffId.replace(/^sha256:/, ''));
  }

  /** A layer's tar is kept: as its index (the store's way) or as a blob (data roots of earlier versions). */
  async hasLayerTar(diffId: string): Promise<boolean> {
    return (await fsp.access(this.indexPath(diffId)).then(() => true, () => false)) || this.hasBlob(diffId);
  }

  /** A layer tar's size in bytes. */
  async layerSize(diffId: string): Promise<number> {
    const st = await fsp.stat(this.blobPath(diffId)).catch(() => undefined);
    if (st) return st.size;
    return (await this.readIndex(diffId)).size;
  }

  async readIndex(diffId: string): Promise<TarSplitIndex> {
    return decodeIndex(await fsp.readFile(this.indexPath(diffId)));
  }

  /**
   * A layer's tar, the same bytes every time: from its blob (an earlier version's data root),
   * else rebuilt from its index and the unpacked files of chainId (any chain topped by this
   * layer), checked against the diff id on the way (LayerDamagedError at its end if not).
   */
  async openLayer(diffId: string, chainId: string): Promise<{ size: number; stream: AsyncIterable<Buffer> }> {
    const fh = await fsp.open(this.blobPath(diffId), 'r').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (fh) {
      const size = (await fh.stat()).size;
      return { size, stream: fh.createReadStream({ highWaterMark: 1 << 20 }) };
    }
    let x: TarSplitIndex;
    try {
      x = await this.readIndex(diffId);
    } catch (e) {
      throw new LayerDamagedError(`layer ${diffId} cannot be read back: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'neither its tar nor its tar-split index is in the store' : (e as Error).message}`);
    }
    return { size: x.size, stream: regenerate(x, this.layerDir(chainId), `${this.indexPath(diffId)}.stash`) };
  }

  /**
   * Start taking in a layer tar: hashed, unpacked (unless `unpack` is false) and indexed as
   * its bytes pass; nothing of it is kept but the unpacked files and the index.
   */
  async intake(o: { unpack?: boolean; index?: boolean } = {}): Promise<LayerIntake> {
    const x = o.unpack === false ? undefined : await this.startExtract();
    return new LayerIntake(this, x, o.index === false ? undefined : this.tempPath('stash'));
  }

  /**
   * Ingest a layer tar (plain or gzip) from a stream: unpacked under its chain id, its
   * tar-split index stored by its diff id.
   */
  async ingestLayer(source: Readable, parentChain?: string): Promise<{ diffId: string; chainId: string; size: number }> {
    const gz = await peekGzip(source);
    const intake = await this.intake();
    try {
      const tar = gz.gzip ? gz.stream.pipe(createGunzip({ chunkSize: 1 << 20 })) : gz.stream;
      if (gz.gzip) gz.stream.on('error', (e) => tar.destroy(e));
      for await (const chunk of tar as AsyncIterable<Buffer>) await intake.write(chunk);
      const { diffId, size } = intake.end();
      if (size === 0) throw new Error('empty archive');
      const chainId = parentChain ? chainOf(parentChain, diffId) : diffId;
      await intake.commit(chainId);
      return { diffId, chainId, size };
    } finally {
      await intake.abort();
    }
  }

  /**
   * Ingest a layer as a registry serves it: the compressed bytes are hashed as they arrive
   * and must match the manifest's digest and size, the tar they hold must match the
   * config's diff id; the tar is unpacked and indexed as it comes, into a temp dir that
   * becomes the layer only once every digest has been checked. A mismatch or a cut-off
   * stream leaves nothing behind.
   */
  async ingestVerified(
    source: BlobBody,
    o: { digest: string; size: number; gzip: boolean; diffId: string; chainId: string; onBytes?: (n: number) => void },
  ): Promise<{ size: number }> {
    const compressed = createHash('sha256');
    let got = 0;
    const have = (await this.layerExists(o.chainId)) && (await this.hasLayerTar(o.diffId));
    const intake = await this.intake(have ? { unpack: false, index: false } : {});
    const tarSink = new Writable({
      highWaterMark: 1 << 20,
      write(chunk: Buffer, _enc, cb) {
        intake.write(chunk).then(() => cb(), cb);
      },
    });
    try {
      // The compressed bytes are hashed as they come; the unpacking side runs beside. A blob
      // that does not inflate is read to its end all the same, so that a corrupted blob is
      // reported as Docker reports it (verification failed), not as a gzip error.
      const head: Writable = o.gzip ? createGunzip({ chunkSize: 1 << 20 }) : tarSink;
      let unpackError: Error | undefined;
      // Pieces gunzip holds: all given back if it fails (a destroyed stream may not call back).
      const held = new Set<LentChunk>();
      const unpacked = (o.gzip ? pipeline(head as unknown as Readable, tarSink) : finished(tarSink)).catch((e: Error) => {
        unpackError = e;
        for (const p of held) p.release();
        held.clear();
      });
      try {
        for await (const piece of source) {
          const b = piece.bytes;
          compressed.update(b);
          got += b.length;
          o.onBytes?.(got);
          if (unpackError) {
            piece.release();
            continue;
          }
          // A lent piece goes back once gunzip has taken it in; the tar side keeps what it is
          // given (pieces of a header, a batch of a file), so a plain tar gets a copy.
          let ok: boolean;
          if (o.gzip) {
            held.add(piece);
            ok = head.write(b, () => (held.delete(piece), piece.release()));
          } else {
            ok = head.write(Buffer.from(b));
            piece.release();
          }
          if (!ok && !head.destroyed && !unpackError) await drained(head);
        }
      } catch (e) {
        head.destroy();
        await unpacked;
        const m = (e as Error).message;
        // A gzip stream cut short fails in gunzip ("unexpected end of file"); a plain one is caught by the size.
        throw new Error(/unexpected end|aborted|ECONNRESET|premature/i.test(m) ? `unexpected EOF (got ${got} of ${o.size} bytes)` : m);
      }
      if (!unpackError) head.end();
      await unpacked;
      const digest = `sha256:${compressed.digest('hex')}`;
      if (got !== o.size && digest !== o.digest) throw new Error(`unexpected EOF (got ${got} of ${o.size} bytes)`);
      if (digest !== o.digest) throw new Error(`filesystem layer verification failed for digest ${o.digest}`);
      if (unpackError) throw unpackError;
      const { diffId, size } = intake.end();
      if (diffId !== o.diffId) throw new Error(`layer ${o.digest} does not match the image's diff id: expected ${o.diffId}, got ${diffId}`);
      await intake.commit(o.chainId);
      return { size };
    } finally {
      await intake.abort();
    }
  }

  /** A tar unpacking a layer from its stdin into a fresh temp dir of this store. */
  startExtract(): Promise<Extraction> {
    return startExtract(this.tmpDir);
  }

  async finishExtract(x: Extraction, chainId: string, before?: (dir: string) => Promise<void>): Promise<void> {
    try {
      await x.exited;
      await before?.(x.dir);
    } catch (e) {
      await x.abort();
      throw new Error(`failed to unpack layer: ${(e as Error).message}`);
    }
    await this.settleUnpacked(x.dir, chainId);
  }

  /** An unpacked temp dir becomes the layer of chainId (whiteouts converted); a concurrent unpack of the same layer stands. */
  private async settleUnpacked(tmp: string, chainId: string): Promise<void> {
    const dest = this.layerDir(chainId);
    try {
      // Deletions recorded as ".wh." files (layers of committed images) become overlay whiteouts.
      await tarWhiteoutsToOverlay(tmp);
      await fsp.mkdir(path.dirname(dest), { recursive: true });
      await fsp.rename(tmp, dest).catch(async (e: NodeJS.ErrnoException) => {
        // Unpacked meanwhile by a concurrent ingest of the same layer: theirs stands.
        if ((e.code === 'ENOTEMPTY' || e.code === 'EEXIST') && (await this.layerExists(chainId))) await fsp.rm(tmp, { recursive: true, force: true });
        else throw e;
      });
    } catch (e) {
      await fsp.rm(tmp, { recursive: true, force: true });
      throw new Error(`failed to unpack layer: ${(e as Error).message}`);
    }
  }

  /** An index (and its stash) into place, unless the layer's tar is kept already. */
  async settleIndex(x: TarSplitIndex, stashTmp: string | undefined): Promise<void> {
    if (await this.hasLayerTar(x.diffId)) return;
    const dest = this.indexPath(x.diffId);
    if (x.stashSize && stashTmp) await fsp.rename(stashTmp, `${dest}.stash`);
    const tmp = this.tempPath('index');
    await fsp.writeFile(tmp, encodeIndex(x));
    await fsp.rename(tmp, dest);
  }

  /**
   * Ingest a layer tar that is a file of this store's temp dir (docker load): what was learnt
   * of it while it was written (pre: digest, size, and its intake) is used, else it is read.
   */
  async ingestLayerFile(file: string, parentChain?: string, pre?: PreRead): Promise<{ diffId: string; chainId: string; size: number }> {
    const intake = pre?.intake;
    if (pre && intake) {
      pre.intake = undefined; // used here, or dropped
      try {
        if (pre.size === 0) throw new Error('empty archive');
        const chainId = parentChain ? chainOf(parentChain, pre.diffId) : pre.diffId;
        await intake.commit(chainId);
        return { diffId: pre.diffId, chainId, size: pre.size };
      } finally {
        await intake.abort();
      }
    }
    return this.ingestLayer(createReadStream(file, { highWaterMark: 1 << 20 }), parentChain);
  }

  /**
   * A layer kept as a blob by an earlier version becomes an index: built from the blob,
   * checked by rebuilding the tar from the unpacked files of chainId (its digest must be the
   * diff id), and only then is the blob removed. False when it is left as it is.
   */
  async convertBlob(diffId: string, chainId: string): Promise<boolean> {
    if (!(await this.hasBlob(diffId)) || !(await this.layerExists(chainId))) return false;
    if (await fsp.access(this.indexPath(diffId)).then(() => true, () => false)) {
      await fsp.rm(this.blobPath(diffId), { force: true });
      return true;
    }
    const tree = this.layerDir(chainId);
    const stashTmp = this.tempPath('stash');
    const stash = new FileStash(stashTmp);
    // A file a later entry replaced is no longer in the tree: such a layer keeps its blob.
    const splitter = new TarSplitter(stash, async () => undefined);
    const hash = createHash('sha256');
    let size = 0;
    try {
      for await (const chunk of createReadStream(this.blobPath(diffId), { highWaterMark: 1 << 20 })) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
        await splitter.write(chunk as Buffer, () => undefined);
      }
      splitter.end();
      stash.close();
      if (!splitter.complete || `sha256:${hash.digest('hex')}` !== diffId) return false;
      const x = splitter.finish(diffId, size);
      const check = createHash('sha256');
      for await (const b of regenerate(x, tree, stashTmp)) check.update(b);
      // regenerate throws unless the digest matched; the index goes in, then the blob goes.
      const dest = this.indexPath(diffId);
      if (x.stashSize) await fsp.rename(stashTmp, `${dest}.stash`);
      const tmp = this.tempPath('index');
      await fsp.writeFile(tmp, encodeIndex(x));
      await fsp.rename(tmp, dest);
      await fsp.rm(this.blobPath(diffId), { force: true });
      return true;
    } catch {
      return false;
    } finally {
      stash.close();
      await fsp.rm(stashTmp, { force: true });
    }
  }

  async layerExists(chainId: string): Promise<boolean> {
    return fsp.access(this.layerDir(chainId)).then(() => true, () => false);
  }

  /** Lower dirs for overlayfs, top layer first. */
  lowerDirs(diffIds: string[]): string[] {
    return chainIds(diffIds).map((c) => this.layerDir(c)).reverse();
  }

  /**
   * Remove these blobs (configs; layer tars: their blob or index) but those images use; one held
   * by a reader goes once it is let go, if unused then.
   */
  async removeBlobs(digests: string[], inUse: InUse = NONE_IN_USE): Promise<void> {
    const used = inUse();
    for (const d of digests) {
      if (used.has(d)) continue;
      await this.removeWhenFree(
        d,
        async () => {
          await fsp.rm(this.blobPath(d), { force: true });
          await fsp.rm(this.indexPath(d), { force: true });
          await fsp.rm(`${this.indexPath(d)}.stash`, { force: true });
        },
        inUse,
      );
    }
  }

  /** The bytes a layer's tar takes on disk (its blob, or its index and stash). */
  async storedSize(diffId: string): Promise<number> {
    const sizes = await Promise.all([this.blobPath(diffId), this.indexPath(diffId), `${this.indexPath(diffId)}.stash`].map((f) => fsp.stat(f).then((st) => st.size, () => 0)));
    return sizes.reduce((a, b) => a + b, 0);
  }

  /**
   * Boot: every blob and unpacked layer not kept (digests, chain ids) goes to `dispose`, which
   * decides between deleting and quarantining it; temp files are always removed.
   */
  async sweep(keepBlobs: Set<string>, keepChains: Set<string>, dispose: (abs: string, kind: 'blob' | 'chain', digest: string) => Promise<void>): Promise<number> {
    const hex = (s: Set<string>) => new Set([...s].map((d) => d.replace(/^sha256:/, '')));
    const [blobs, chains] = [hex(keepBlobs), hex(keepChains)];
    const unknownBlobs = (await fsp.readdir(this.blobsDir)).filter((b) => !blobs.has(b));
    const unknownChains = (await fsp.readdir(this.layersDir)).filter((l) => !chains.has(l));
    const unknownIndexes = (await fsp.readdir(this.indexDir)).filter((f) => !blobs.has(f.replace(/\.stash$/, '')));
    const tmp = await fsp.readdir(this.tmpDir);
    for (const b of unknownBlobs) await dispose(path.join(this.blobsDir, b), 'blob', `sha256:${b}`);
    for (const f of unknownIndexes) await dispose(path.join(this.indexDir, f), 'blob', `sha256:${f.replace(/\.stash$/, '')}`);
    for (const c of unknownChains) await dispose(path.join(this.layersDir, c), 'chain', `sha256:${c}`);
    for (const t of tmp) await fsp.rm(path.join(this.tmpDir, t), { recursive: true, force: true });
    return unknownBlobs.length + unknownIndexes.length + unknownChains.length + tmp.length;
  }

  /** Remove one unpacked chain; held by a reader, once it is let go, if no image uses it then. */
  async removeChain(chainId: string, inUse: InUse = NONE_IN_USE): Promise<void> {
    await this.removeWhenFree(chainId, () => fsp.rm(path.dirname(this.layerDir(chainId)), { recursive: true, force: true }), inUse);
  }

  /** Remove the unpacked layers of an image's chain but those images use (chains shared with another); see removeChain. */
  async removeLayers(diffIds: string[], inUse: InUse = NONE_IN_USE): Promise<void> {
    const used = inUse();
    for (const c of chainIds(diffIds)) {
      if (!used.has(c)) await this.removeChain(c, inUse);
    }
  }
}

/** What was learnt of a file while it was written (docker load): its digest and size, whether it is gzip, and maybe its intake as a layer. */
export interface PreRead {
  diffId: string;
  size: number;
  gzip: boolean;
  intake?: LayerIntake;
  /**
   * Named for a layer the store has (blobs/sha256/<diff id>) under this chain: only hashed as it
   * came (intake without unpacking); its tar, when needed, is rebuilt from that chain.
   */
  storedAs?: string;
  /** Taking it in as a layer failed (it is no layer, or a broken one). */
  failed?: Error;
}

/** The stash of a tar-split: written in order, synchronously, to a file opened on first use. */
export class FileStash implements Stash {
  private fd?: number;
  constructor(readonly file: string) {}
  append(b: Buffer): void {
    this.fd ??= openSync(this.file, 'w');
    let off = 0;
    while (off < b.length) off += writeSync(this.fd, b, off, b.length - off);
  }
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * One layer tar being taken in (ImageStore.intake): its bytes are hashed, passed to the
 * unpacking tar and indexed (tar-split), each once; end() gives its diff id, commit() makes
 * the unpacked dir the layer of a chain and stores the index.
 */
export class LayerIntake {
  private hash = createHash('sha256');
  private size = 0;
  private splitter?: TarSplitter;
  private stash?: FileStash;
  private result?: { diffId: string; size: number };
  private forward = async (b: Buffer[]) => {
    if (this.x?.writev(b)) await this.x.drained();
  };
  /** Big plain files of the tar, written here straight to a file of their own (not through the tar). */
  private directs = new Map<string, { side: string; links: string[] }>();
  private directFh?: FileHandle;
  private directFiles: DirectFiles = {
    min: DIRECT_MIN,
    open: async (rel) => {
      if (!this.x || this.directs.has(rel)) return false;
      const side = this.store.tempPath('direct');
      this.directFh = await fsp.open(side, 'wx', 0o600);
      this.directs.set(rel, { side, links: [] });
      return true;
    },
    // Written 1 MiB at a time (one writev of the pieces), not once per network read.
    write: async (b) => {
      this.directBatch.push(b);
      this.directBatchLen += b.length;
      if (this.directBatchLen >= 1 << 20) await this.flushDirect();
    },
    close: async () => {
      await this.flushDirect();
      const fh = this.directFh;
      this.directFh = undefined;
      await fh?.close();
    },
    link: (target, name) => this.directs.get(target)?.links.push(name),
  };

  constructor(private store: ImageStore, private x: Extraction | undefined, stashFile: string | undefined) {
    if (stashFile) {
      const stash = (this.stash = new FileStash(stashFile));
      this.splitter = new TarSplitter(stash, async (rel, size) => {
        // A later entry replaces this file: once the tar has unpacked all before it, keep the file's bytes.
        if (!this.x) return undefined;
        const direct = this.directs.get(rel);
        if (direct) {
          this.directs.delete(rel);
          const b = await fsp.readFile(direct.side).catch(() => undefined);
          await fsp.rm(direct.side, { force: true });
          return b && b.length === size ? b : undefined;
        }
        await this.x.checkpoint();
        const b = await fsp.readFile(path.join(this.x.dir, rel)).catch(() => undefined);
        return b && b.length === size ? b : undefined;
      }, x ? this.directFiles : undefined);
    }
  }

  async write(chunk: Buffer): Promise<void> {
    this.hash.update(chunk);
    this.size += chunk.length;
    if (this.splitter) await this.splitter.write(chunk, this.forward);
    else await this.forward([chunk]);
  }

  end(): { diffId: string; size: number } {
    if (this.result) return this.result;
    this.x?.end();
    this.splitter?.end();
    this.stash?.close();
    this.result = { diffId: `sha256:${this.hash.digest('hex')}`, size: this.size };
    return this.result;
  }

  async commit(chainId: string): Promise<void> {
    const { diffId, size } = this.end();
    if (this.splitter && !this.splitter.complete) throw new Error(`failed to unpack layer ${diffId}: a file a later entry of the tar replaces could not be kept`);
    const x = this.x;
    this.x = undefined;
    if (x) {
      if (await this.store.layerExists(chainId)) await x.abort();
      else await this.store.finishExtract(x, chainId, (dir) => this.placeDirect(dir));
    }
    // The files first, then what rebuilds the tar from them.
    if (this.splitter) await this.store.settleIndex(this.splitter.finish(diffId, size), this.stash?.file);
  }

  private directBatch: Buffer[] = [];
  private directBatchLen = 0;

  private async flushDirect(): Promise<void> {
    let bufs = this.directBatch;
    let left = this.directBatchLen;
    this.directBatch = [];
    this.directBatchLen = 0;
    while (left > 0) {
      const { bytesWritten } = await this.directFh!.writev(bufs);
      left -= bytesWritten;
      if (left > 0) {
        // A short write: the rest of the pieces.
        const rest = Buffer.concat(bufs).subarray(bytesWritten);
        bufs = [rest];
      }
    }
  }

  /**
   * The tar has made each direct file empty, with its owner, mode and times: the file written
   * here takes them and its place (and the place of the tar's hard links to it).
   */
  private async placeDirect(dir: string): Promise<void> {
    const root = await fsp.realpath(dir);
    for (const [rel, d] of this.directs) {
      const target = path.join(dir, rel);
      const parent = path.dirname(target);
      // No symlink on the way: the tree is this tar's alone, and it put none there.
      if ((await fsp.realpath(parent)) !== path.join(root, path.dirname(rel))) throw new Error(`${rel}: its directory is not where the tar put it`);
      const st = await fsp.lstat(target);
      if (!st.isFile() || st.size !== 0) throw new Error(`${rel}: not the empty file the tar made`);
      const pst = await fsp.stat(parent);
      await fsp.chown(d.side, st.uid, st.gid);
      await fsp.chmod(d.side, st.mode & 0o7777);
      await fsp.utimes(d.side, st.atime, st.mtime);
      await fsp.rename(d.side, target);
      for (const name of d.links) {
        const link = path.join(dir, name);
        const lst = await fsp.lstat(link).catch(() => undefined);
        if (!lst || lst.ino !== st.ino || lst.dev !== st.dev) continue;
        const lpst = await fsp.stat(path.dirname(link));
        await fsp.unlink(link);
        await fsp.link(target, link);
        await fsp.utimes(path.dirname(link), lpst.atime, lpst.mtime);
      }
      await fsp.utimes(parent, pst.atime, pst.mtime);
    }
    this.directs.clear();
  }

  /** Whatever was not committed goes (the unpacked dir, the stash, direct files). */
  async abort(): Promise<void> {
    await this.directFh?.close().catch(() => undefined);
    this.directFh = undefined;
    for (const d of this.directs.values()) await fsp.rm(d.side, { force: true });
    this.directs.clear();
    this.stash?.close();
    const x = this.x;
    this.x = undefined;
    await x?.abort();
    if (this.stash) await fsp.rm(this.stash.file, { force: true });
  }
}


/** Look at the first bytes of a stream to see whether it is gzip, without losing them. */
async function peekGzip(source: Readable): Promise<{ stream: Readable; gzip: boolean }> {
  const first = await new Promise<Buffer | null>((resolve, reject) => {
    const onReadable = () => {
      const c = source.read() as Buffer | null;
      if (c === null && !source.readableEnded) return;
      cleanup();
      resolve(c);
    };
    const onEnd = () => {
      cleanup();
      resolve(null);
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    const cleanup = () => {
      source.off('readable', onReadable);
      source.off('end', onEnd);
      source.off('error', onError);
    };
    source.on('readable', onReadable);
    source.on('end', onEnd);
    source.on('error', onError);
  });
  if (first) source.unshift(first);
  return { stream: source, gzip: !!first && first[0] === 0x1f && first[1] === 0x8b };
}

export { chainIds, chainOf };
