import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { run } from '../runtime/exec';
import { tarWhiteoutsToOverlay } from '../storage/whiteouts';
import { chainIds, chainOf } from '../domain/layer-chain';
import { drained, startExtract, TAR_EXTRACT, type Extraction } from './extract';

/**
 * The content store: blobs/sha256/<hex>, written to a temp file and renamed into place
 * once their digest is known, so a partly written blob is never visible. Layers are
 * unpacked once, by chain id, and shared by every image and container that uses them.
 */
export class ImageStore {
  constructor(readonly root: string) {}

  get blobsDir(): string {
    return path.join(this.root, 'blobs', 'sha256');
  }

  get layersDir(): string {
    return path.join(this.root, 'layers');
  }

  async init(): Promise<void> {
    await Promise.all([this.blobsDir, this.layersDir, this.tmpDir].map((d) => fsp.mkdir(d, { recursive: true })));
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

  /**
   * Ingest a layer tar (plain or gzip) from a stream: store the uncompressed tar as a blob
   * named by its diff id, then unpack it under its chain id.
   */
  async ingestLayer(source: Readable, parentChain?: string): Promise<{ diffId: string; chainId: string; size: number }> {
    const tmp = path.join(this.tmpDir, randomBytes(8).toString('hex'));
    const hash = createHash('sha256');
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    const gz = await peekGzip(source);
    try {
      if (gz.gzip) await pipeline(gz.stream, createGunzip({ chunkSize: 1 << 20 }), counter, createWriteStream(tmp));
      else await pipeline(gz.stream, counter, createWriteStream(tmp));
      if (size === 0) throw new Error('empty archive');
      const diffId = `sha256:${hash.digest('hex')}`;
      await fsp.rename(tmp, this.blobPath(diffId));
      const chainId = parentChain ? chainOf(parentChain, diffId) : diffId;
      await this.unpackLayer(diffId, chainId);
      return { diffId, chainId, size };
    } finally {
      await fsp.rm(tmp, { force: true });
    }
  }

  /**
   * Ingest a layer as a registry serves it: the compressed bytes are hashed as they arrive
   * and must match the manifest's digest and size, the tar they hold must match the
   * config's diff id; only then is the tar renamed into the store and unpacked under its
   * chain id. A mismatch or a cut-off stream leaves nothing behind.
   */
  async ingestVerified(
    source: Readable,
    o: { digest: string; size: number; gzip: boolean; diffId: string; chainId: string; onBytes?: (n: number) => void },
  ): Promise<{ size: number }> {
    const tmp = this.tempPath('pull');
    const compressed = createHash('sha256');
    const tarHash = createHash('sha256');
    let got = 0;
    let size = 0;
    // The tar is unpacked as it arrives (by a tar beside the blob file), into a temp dir that
    // becomes the layer only once every digest has been checked.
    const extract = (await this.layerExists(o.chainId)) ? undefined : await this.startExtract();
    const tarCounter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        tarHash.update(chunk);
        size += chunk.length;
        if (!extract || !extract.mustWait(chunk)) cb(null, chunk);
        else extract.drained().then(() => cb(null, chunk));
      },
      flush(cb) {
        extract?.end();
        cb();
      },
    });
    let verified = false;
    try {
      // The compressed bytes are hashed as they come; the unpacking side runs beside. A blob
      // that does not inflate is read to its end all the same, so that a corrupted blob is
      // reported as Docker reports it (verification failed), not as a gzip error.
      const head: Writable = o.gzip ? createGunzip({ chunkSize: 1 << 20 }) : tarCounter;
      let unpackError: Error | undefined;
      const unpacked = pipeline((o.gzip ? [head, tarCounter, createWriteStream(tmp)] : [head, createWriteStream(tmp)]) as unknown as Parameters<typeof pipeline>[0][]).catch((e: Error) => {
        unpackError = e;
      });
      try {
        for await (const chunk of source as AsyncIterable<Buffer>) {
          compressed.update(chunk);
          got += chunk.length;
          o.onBytes?.(got);
          if (!unpackError && !head.write(chunk)) await drained(head);
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
      const diffId = `sha256:${tarHash.digest('hex')}`;
      if (diffId !== o.diffId) throw new Error(`layer ${o.digest} does not match the image's diff id: expected ${o.diffId}, got ${diffId}`);
      if (await this.hasBlob(diffId)) await fsp.rm(tmp, { force: true });
      else await fsp.rename(tmp, this.blobPath(diffId));
      verified = true;
      if (extract) await this.finishExtract(extract, o.chainId);
      else await this.unpackLayer(diffId, o.chainId);
      return { size };
    } finally {
      await fsp.rm(tmp, { force: true });
      if (!verified && extract) await extract.abort();
    }
  }

  /** A tar unpacking a layer from its stdin into a fresh temp dir of this store. */
  startExtract(): Promise<Extraction> {
    return startExtract(this.tmpDir);
  }

  async finishExtract(x: Extraction, chainId: string): Promise<void> {
    try {
      await x.exited;
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

  /**
   * Ingest a layer tar that is already a file of this store's temp dir (docker load): an
   * uncompressed one is hashed in place and renamed into the blob store (no second copy);
   * a compressed one goes through ingestLayer.
   */
  async ingestLayerFile(file: string, parentChain?: string, pre?: PreRead): Promise<{ diffId: string; chainId: string; size: number }> {
    if (pre?.gzip === false) {
      // Hashed (and maybe unpacked) as it was written: no second read.
      if (pre.size === 0) throw new Error('empty archive');
      if (await this.hasBlob(pre.diffId)) await fsp.rm(file, { force: true });
      else await fsp.rename(file, this.blobPath(pre.diffId));
      const chainId = parentChain ? chainOf(parentChain, pre.diffId) : pre.diffId;
      const x = pre.extraction;
      pre.extraction = undefined; // used here, or dropped
      if (x && !(await this.layerExists(chainId))) await this.finishExtract(x, chainId);
      else {
        await x?.abort();
        await this.unpackLayer(pre.diffId, chainId);
      }
      return { diffId: pre.diffId, chainId, size: pre.size };
    }
    const fh = await fsp.open(file, 'r');
    const head = Buffer.alloc(2);
    try {
      await fh.read(head, 0, 2, 0);
    } finally {
      await fh.close();
    }
    if (head[0] === 0x1f && head[1] === 0x8b) return this.ingestLayer(createReadStream(file), parentChain);
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of createReadStream(file)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    if (size === 0) throw new Error('empty archive');
    const diffId = `sha256:${hash.digest('hex')}`;
    if (await this.hasBlob(diffId)) await fsp.rm(file, { force: true });
    else await fsp.rename(file, this.blobPath(diffId));
    const chainId = parentChain ? chainOf(parentChain, diffId) : diffId;
    await this.unpackLayer(diffId, chainId);
    return { diffId, chainId, size };
  }

  /** Unpack a layer blob into its chain-id directory, once; a temp dir renamed into place. */
  async unpackLayer(diffId: string, chainId: string): Promise<void> {
    const dest = this.layerDir(chainId);
    if (await fsp.access(dest).then(() => true, () => false)) return;
    const tmp = path.join(this.tmpDir, `unpack-${randomBytes(8).toString('hex')}`);
    await fsp.mkdir(tmp, { recursive: true });
    try {
      await run('tar', [...TAR_EXTRACT, '-f', this.blobPath(diffId), '-C', tmp]);
    } catch (e) {
      await fsp.rm(tmp, { recursive: true, force: true });
      throw new Error(`failed to unpack layer: ${(e as Error).message}`);
    }
    await this.settleUnpacked(tmp, chainId);
  }

  async layerExists(chainId: string): Promise<boolean> {
    return fsp.access(this.layerDir(chainId)).then(() => true, () => false);
  }

  /** Lower dirs for overlayfs, top layer first. */
  lowerDirs(diffIds: string[]): string[] {
    return chainIds(diffIds).map((c) => this.layerDir(c)).reverse();
  }

  /** Remove these blobs (config and layer tars), but those in `keep` (digests other images use). */
  async removeBlobs(digests: string[], keep: Set<string> = new Set()): Promise<void> {
    for (const d of digests) if (!keep.has(d)) await fsp.rm(this.blobPath(d), { force: true });
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
    const tmp = await fsp.readdir(this.tmpDir);
    for (const b of unknownBlobs) await dispose(path.join(this.blobsDir, b), 'blob', `sha256:${b}`);
    for (const c of unknownChains) await dispose(path.join(this.layersDir, c), 'chain', `sha256:${c}`);
    for (const t of tmp) await fsp.rm(path.join(this.tmpDir, t), { recursive: true, force: true });
    return unknownBlobs.length + unknownChains.length + tmp.length;
  }

  /** Remove one unpacked chain. */
  async removeChain(chainId: string): Promise<void> {
    await fsp.rm(path.dirname(this.layerDir(chainId)), { recursive: true, force: true });
  }

  /** Remove the unpacked layers of an image's chain, but those in `keep` (chain ids other images use). */
  async removeLayers(diffIds: string[], keep: Set<string> = new Set()): Promise<void> {
    for (const c of chainIds(diffIds)) {
      if (!keep.has(c)) await this.removeChain(c);
    }
  }
}

/** What was learnt of a file while it was written (docker load): its digest and size, whether it is gzip, and maybe its unpacking. */
export interface PreRead {
  diffId: string;
  size: number;
  gzip: boolean;
  extraction?: Extraction;
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
