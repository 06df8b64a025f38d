import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { registryError, type RegistrySession } from './client';
import { drain } from './http';

/** Chunks of a chunked upload; a blob that fits in one goes up monolithically. */
export const UPLOAD_CHUNK = 8 << 20;

/** Does the repository have this blob (HEAD)? */
export async function blobExists(session: RegistrySession, digest: string): Promise<boolean> {
  const res = await session.send('HEAD', `/v2/${session.repo}/blobs/${digest}`);
  await drain(res);
  if (res.status === 200) return true;
  if (res.status === 404) return false;
  throw await registryError(res, `HEAD blob ${digest}`); // a HEAD has no body: the status says it
}

/**
 * Start an upload; with `mount`, ask the registry to link the blob from another repository
 * instead (201: mounted, nothing to send; 202: an ordinary upload was opened).
 */
export async function startUpload(session: RegistrySession, mount?: { digest: string; from: string }): Promise<{ mounted: true } | { mounted: false; location: string }> {
  const q = mount ? `?mount=${encodeURIComponent(mount.digest)}&from=${encodeURIComponent(mount.from)}` : '';
  const res = await session.send('POST', `/v2/${session.repo}/blobs/uploads/${q}`, { body: '' });
  if (res.status === 201 && mount) {
    await drain(res);
    return { mounted: true };
  }
  if (res.status !== 202) throw await registryError(res, 'POST blob upload');
  await drain(res);
  return { mounted: false, location: await locationOf(session, res.headers.location) };
}

async function locationOf(session: RegistrySession, location: string | undefined): Promise<string> {
  if (!location) throw new Error('the registry opened an upload without a Location');
  return new URL(location, await session.url('/')).href;
}

const withQuery = (url: string, key: string, value: string) => {
  const u = new URL(url);
  u.searchParams.set(key, value);
  return u.href;
};

/** Put a small blob in one request (POST, then PUT with the bytes and their digest). */
export async function uploadMonolithic(session: RegistrySession, location: string, bytes: Buffer, digest: string): Promise<void> {
  const res = await session.send('PUT', withQuery(location, 'digest', digest), { body: bytes, headers: { 'Content-Type': 'application/octet-stream' } });
  if (res.status !== 201) throw await registryError(res, `PUT blob ${digest}`);
  await drain(res);
}

/**
 * Upload a stream whose digest is known only at its end: monolithic when it fits in one
 * chunk, otherwise PATCH chunk after chunk (Content-Range) and a closing PUT with the digest.
 */
export async function uploadStream(session: RegistrySession, location: string, source: Readable, onBytes?: (sent: number) => void): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let sent = 0;
  let url = location;
  const patch = async (chunk: Buffer) => {
    const res = await session.send('PATCH', url, {
      body: chunk,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${sent}-${sent + chunk.length - 1}` },
    });
    if (res.status !== 202) throw await registryError(res, 'PATCH blob upload');
    await drain(res);
    url = await locationOf(session, res.headers.location);
    sent += chunk.length;
    onBytes?.(sent);
  };
  // One chunk goes up while the next is read (and compressed): chunks stay in order, each
  // PATCH starting where the registry said the last one ended.
  let inflight: Promise<void> | undefined;
  for await (const c of source) {
    const b = c as Buffer;
    hash.update(b);
    pending.push(b);
    pendingBytes += b.length;
    if (pendingBytes >= UPLOAD_CHUNK) {
      const all = Buffer.concat(pending);
      pending = [all.subarray(UPLOAD_CHUNK)];
      pendingBytes = pending[0].length;
      if (inflight) await inflight;
      inflight = patch(all.subarray(0, UPLOAD_CHUNK));
      inflight.catch(() => undefined); // awaited before the next chunk or at the end
    }
  }
  if (inflight) await inflight;
  const digest = `sha256:${hash.digest('hex')}`;
  const rest = Buffer.concat(pending);
  if (sent === 0) await uploadMonolithic(session, url, rest, digest);
  else {
    if (rest.length) await patch(rest);
    const res = await session.send('PUT', withQuery(url, 'digest', digest), { body: '' });
    if (res.status !== 201) throw await registryError(res, `PUT blob ${digest}`);
    await drain(res);
  }
  onBytes?.(sent + (sent === 0 ? rest.length : 0));
  return { digest, size: sent === 0 ? rest.length : sent };
}

/** PUT a manifest under a tag; the registry's digest must be ours. */
export async function putManifest(session: RegistrySession, tag: string, bytes: Buffer, mediaType: string): Promise<string> {
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const res = await session.send('PUT', `/v2/${session.repo}/manifests/${tag}`, { body: bytes, headers: { 'Content-Type': mediaType } });
  if (res.status !== 201) throw await registryError(res, `PUT manifest ${tag}`);
  await drain(res);
  const announced = res.headers['docker-content-digest'];
  if (typeof announced === 'string' && announced !== digest) throw new Error(`the registry stored the manifest as ${announced}, not ${digest}`);
  return digest;
}

/** The repositories of a registry (GET /v2/_catalog), following its Link pages. */
export async function catalog(session: RegistrySession, max = 10_000): Promise<string[]> {
  const out: string[] = [];
  let next: string | undefined = '/v2/_catalog?n=1000';
  while (next && out.length < max) {
    const res = await session.send('GET', next);
    if (res.status !== 200) throw await registryError(res, 'GET catalog');
    const chunks: Buffer[] = [];
    for await (const c of res.body) chunks.push(c as Buffer);
    out.push(...((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { repositories?: string[] }).repositories ?? []));
    const link = /<([^>]+)>;\s*rel="next"/.exec(String(res.headers.link ?? ''));
    next = link ? link[1] : undefined;
  }
  return out;
}
