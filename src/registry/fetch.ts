import { createHash } from 'node:crypto';
import { WharfError } from '../domain/errors';
import { RegistryError, registryError, type RegistrySession } from './client';
import { drain, readBody, request, TimeoutError, type HttpResponse } from './http';
import { pooledGet, streamBody, type BlobBody } from './pooled-get';
import { MANIFEST_ACCEPT, parseManifest, type ImageManifest, type ManifestIndex } from './manifest';

export interface FetchedManifest {
  digest: string;
  manifest?: ImageManifest;
  index?: ManifestIndex;
  bytes: Buffer;
  mediaType: string;
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/**
 * GET a manifest by tag or digest. Its bytes must hash to the digest asked for (by digest)
 * or to the Docker-Content-Digest the registry announced (by tag).
 */
export async function fetchManifest(session: RegistrySession, reference: string, expectDigest?: string): Promise<FetchedManifest> {
  const res = await session.send('GET', `/v2/${session.repo}/manifests/${reference}`, { headers: { Accept: MANIFEST_ACCEPT } });
  if (res.status !== 200) throw await registryError(res, `GET manifest ${reference}`);
  const bytes = await readBody(res, 4 << 20);
  const digest = sha256(bytes);
  const announced = res.headers['docker-content-digest'];
  const want = expectDigest ?? (typeof announced === 'string' && announced.startsWith('sha256:') ? announced : undefined);
  if (want && want !== digest) throw new WharfError('invalid-argument', `manifest verification failed for digest ${want}`);
  const mediaType = String(res.headers['content-type'] ?? '');
  let parsed;
  try {
    parsed = parseManifest(bytes, mediaType);
  } catch (e) {
    throw new WharfError('invalid-argument', (e as Error).message);
  }
  return parsed.kind === 'index'
    ? { digest, index: parsed.index, bytes, mediaType }
    : { digest, manifest: parsed.manifest, bytes, mediaType };
}

const REDIRECTS = [301, 302, 303, 307, 308];

/**
 * A blob's body. Registries may redirect blob downloads to their storage (another host: no
 * credentials sent there). It is read into reused buffers (pooledGet) when the answer is a
 * plain 200 with a length; anything else (a 401 to answer, a 5xx, a chunked body) is asked
 * again through node's HTTP client, where a 5xx or a dropped connection is tried twice more,
 * a second apart. A registry that does not answer in time fails at once.
 */
export async function openBlob(session: RegistrySession, digest: string): Promise<BlobBody> {
  const fast = await openPooled(session, digest);
  return fast ?? streamBody(await openBlobStream(session, digest));
}

async function openPooled(session: RegistrySession, digest: string): Promise<BlobBody | undefined> {
  let req = await session.getRequest(`/v2/${session.repo}/blobs/${digest}`);
  for (let hops = 0; hops <= 5; hops++) {
    let res;
    try {
      res = await pooledGet(req);
    } catch (e) {
      if (e instanceof TimeoutError) throw session.unreachable('GET', req.url, e);
      return undefined;
    }
    if (res.status === 200) return res.body;
    const location = res.headers.location;
    if (!REDIRECTS.includes(res.status) || !location) return undefined;
    const next = new URL(location, req.url);
    req = next.host === session.apiHost ? await session.getRequest(next.href) : { url: next, headers: {}, idleTimeoutMs: 30_000, insecureTls: false };
  }
  return undefined;
}

async function openBlobStream(session: RegistrySession, digest: string): Promise<HttpResponse['body']> {
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (attempt) await new Promise((r) => setTimeout(r, attempt * 1000));
    try {
      let res: HttpResponse = await session.send('GET', `/v2/${session.repo}/blobs/${digest}`);
      for (let hops = 0; hops < 5 && REDIRECTS.includes(res.status); hops++) {
        const location = res.headers.location;
        await drain(res);
        if (!location) break;
        const next = new URL(location, await session.url('/'));
        res = next.host === session.apiHost ? await session.send('GET', next.href) : await request({ method: 'GET', url: next, idleTimeoutMs: 30_000 });
      }
      if (res.status === 200) return res.body;
      const err = await registryError(res, `GET blob ${digest}`);
      if (res.status < 500) throw err;
      lastError = err;
    } catch (e) {
      if (e instanceof RegistryError && e.status >= 400 && e.status < 500) throw e;
      if (e instanceof RegistryError && e.kind === 'unavailable') throw e; // a time-out: no retry
      lastError = e as Error;
    }
  }
  throw lastError ?? new Error(`GET blob ${digest} failed`);
}

/** A small blob (a config), read whole and verified against its digest and size. */
export async function fetchBlob(session: RegistrySession, digest: string, size: number): Promise<Buffer> {
  const body = await openBlobStream(session, digest);
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    n += (c as Buffer).length;
    if (n > Math.max(size, 1) * 2 + (1 << 20)) {
      body.destroy();
      throw new WharfError('invalid-argument', `blob ${digest} is larger than its descriptor says (${size} bytes)`);
    }
    chunks.push(c as Buffer);
  }
  const bytes = Buffer.concat(chunks);
  if (sha256(bytes) !== digest) throw new WharfError('invalid-argument', bytes.length !== size ? `unexpected EOF (got ${bytes.length} of ${size} bytes of ${digest})` : `blob verification failed for digest ${digest}`);
  return bytes;
}

/** The tags of the session's repository (GET /v2/<name>/tags/list, following Link pages), sorted. */
export async function listTags(session: RegistrySession): Promise<string[]> {
  const tags: string[] = [];
  let next: string | undefined = `/v2/${session.repo}/tags/list?n=1000`;
  for (let page = 0; next && page < 100; page++) {
    const res = await session.send('GET', next);
    if (res.status !== 200) throw await registryError(res, 'GET tags');
    tags.push(...((JSON.parse((await readBody(res)).toString('utf8')) as { tags?: string[] | null }).tags ?? []));
    next = /<([^>]+)>;\s*rel="next"/.exec(String(res.headers.link ?? ''))?.[1];
  }
  return tags.sort();
}
