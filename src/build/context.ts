import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import ignore from '@balena/dockerignore';
import { invalidArgument, WharfError } from '../domain/errors';
import { openDir, readTextInRoot, removeTreeAt, resolveInRoot } from '../storage/scoped-fs';
import { extractInto } from '../storage/tar-extract';
import { chrootedName, cleanMemberNames, decompressed, peek, rewriteTar } from './archive';

/**
 * The daemon side of a build's context: POST /build's body (or its `remote` URL) extracted
 * into a private directory, the Dockerfile read from it, as dockerd's classic builder does
 * (builder/remotecontext). The context is untrusted: nothing in it is ever followed out of it.
 */
export interface BuildContext {
  /** The extracted context root on disk. */
  dir: string;
  dockerfileText: string;
  /** The Dockerfile's path in the context as used (after the `dockerfile` fallback). */
  dockerfileName: string;
  cleanup(): Promise<void>;
}

export const DEFAULT_DOCKERFILE = 'Dockerfile';

export async function receiveContext(
  workDir: string,
  body: Readable,
  q: { dockerfile?: string; remote?: string },
): Promise<BuildContext> {
  const dir = await fsp.mkdtemp(path.join(workDir, 'context-'));
  const cleanup = () => fsp.rm(dir, { recursive: true, force: true });
  try {
    const wanted = q.dockerfile || DEFAULT_DOCKERFILE;
    if (q.remote) {
      const remote = await fetchRemote(q.remote);
      // A plain-text remote is the Dockerfile itself; the build then has no context (as dockerd).
      if (remote.kind === 'dockerfile') return { dir, dockerfileText: remote.text, dockerfileName: DEFAULT_DOCKERFILE, cleanup };
      await extractContext(dir, remote.body);
    } else {
      await extractContext(dir, body);
    }
    const df = await readDockerfile(dir, wanted);
    await removeIgnoredBuildFiles(dir, df.name);
    return { dir, dockerfileText: df.text, dockerfileName: df.name, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/**
 * Extract the context tar (any compression) as dockerd's chrooted untar would, through
 * scoped-fs: names cleaned into the root, symlinks kept and followed only inside it, owned
 * by root. Device nodes and FIFOs are dropped: nothing a build needs, and a FIFO would hang
 * a COPY reading it.
 */
async function extractContext(dir: string, body: Readable): Promise<void> {
  const root = await openDir(dir);
  try {
    // pipe() does not pass errors on: a corrupt gzip body would leave the padder (and the request) waiting for ever.
    const plain = await decompressed(body);
    const padded = blockPadded();
    plain.on('error', (e) => padded.destroy(e));
    const tarStream = rewriteContextTar(plain.pipe(padded));
    await extractInto(root, '/', tarStream, { noOverwriteDirNonDir: false, chown: { uid: 0, gid: 0 } });
  } catch (e) {
    if (e instanceof WharfError) throw e;
    throw invalidArgument(`Error processing tar file: ${(e as Error).message}`);
  } finally {
    await root.close();
  }
}

/**
 * The docker CLI ends a context whose Dockerfile it appended (-f outside the context) right
 * after that file's bytes: no padding, no end-of-archive blocks. Go's reader takes it; so
 * the stream is completed to a whole block and two zero blocks here (after a complete
 * archive they are ignored).
 */
function blockPadded(): Transform {
  let n = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      cb(null, chunk);
    },
    flush(cb) {
      cb(null, Buffer.alloc(((512 - (n % 512)) % 512) + 1024));
    },
  });
}

function rewriteContextTar(s: Readable): Readable {
  return rewriteTar(s, (h) => {
    if (h.type === 'character-device' || h.type === 'block-device' || h.type === 'fifo') return undefined;
    return cleanMemberNames(h);
  });
}

/** Docker's "forbidden path" check: a name that climbs out lexically is refused, not clamped. */
function climbsOut(p: string): boolean {
  const n = path.posix.normalize(p.replace(/^\/+/, ''));
  return n === '..' || n.startsWith('../');
}

/** Read the Dockerfile at `name` in the context, symlinks followed only inside it; Docker's errors. */
export async function readDockerfile(dir: string, name: string): Promise<{ name: string; text: string }> {
  if (climbsOut(name)) throw invalidArgument(`forbidden path outside the build context: ${name} ()`);
  const root = await openDir(dir);
  try {
    const text = await readTextInRoot(root, name);
    if (text === undefined) {
      // dockerd's fallback: only for the default name, to its lower-case spelling.
      if (name === DEFAULT_DOCKERFILE && (await readTextInRoot(root, name.toLowerCase())) !== undefined) {
        return readDockerfile(dir, name.toLowerCase());
      }
      throw invalidArgument(`Cannot locate specified Dockerfile: ${name}`);
    }
    if (text === null) throw invalidArgument(`unexpected error reading Dockerfile: read ${path.join(dir, chrootedName(name))}: is a directory`);
    if (text.length === 0) throw invalidArgument(`the Dockerfile (${name}) cannot be empty`);
    return { name, text };
  } finally {
    await root.close();
  }
}

/** The patterns of a context's .dockerignore, [] when it has none. */
export async function readIgnorePatterns(root: FileHandle): Promise<string[]> {
  const text = await readTextInRoot(root, '.dockerignore');
  return typeof text === 'string' ? text.split(/\r?\n/) : [];
}

/**
 * dockerd removes .dockerignore and the Dockerfile from the context when .dockerignore
 * matches them (so `COPY . /x` leaves them out); the rest of the context is not filtered
 * again: the client already did that (verified against dockerd 20.10).
 */
async function removeIgnoredBuildFiles(dir: string, dockerfileName: string): Promise<void> {
  const root = await openDir(dir);
  try {
    const patterns = await readIgnorePatterns(root);
    if (!patterns.length) return;
    const ig = ignore({ ignorecase: false }).add(patterns);
    for (const name of ['.dockerignore', dockerfileName]) {
      const rel = chrootedName(name);
      if (rel && ig.ignores(rel)) await removeInRoot(root, rel);
    }
  } finally {
    await root.close();
  }
}

async function removeInRoot(root: FileHandle, rel: string): Promise<void> {
  const r = await resolveInRoot(root, rel, { followLast: false }).catch(() => undefined);
  if (!r) return;
  try {
    if (r.name) await removeTreeAt(r.dir, r.name).catch(() => undefined);
  } finally {
    await r.release();
  }
}

// ---- remote contexts -------------------------------------------------------------------

export function isURL(s: string): boolean {
  return s.startsWith('http://') || s.startsWith('https://');
}

/** Docker's urlutil.IsGitURL. */
export function isGitURL(s: string): boolean {
  if (isURL(s) && /\.git(?:#.+)?$/.test(s)) return true;
  return s.startsWith('git://') || s.startsWith('github.com/') || s.startsWith('git@');
}

/** A GET that fails on a status >= 400 with Docker's message (GetWithStatusError). */
export async function getWithStatusError(url: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow' });
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message ?? (e as Error).message;
    throw new Error(`Get ${JSON.stringify(url)}: ${cause}`);
  }
  if (res.status < 400) return res;
  const body = (await res.text().catch(() => undefined))?.trim();
  const msg = `failed to GET ${url} with status ${res.status} ${res.statusText}`;
  throw new Error(body === undefined ? `${msg}: error reading body` : `${msg}: ${body}`);
}

const ACCEPTABLE_REMOTE_MIME = /(?:application\/(?:(?:x-)?tar|octet-stream|((?:x-)?(?:gzip|bzip2?|xz)))|(?:text\/plain))/;

type Remote = { kind: 'dockerfile'; text: string } | { kind: 'archive'; body: Readable };

/** Download a remote context; a text/plain one is a Dockerfile (decided by content type, then by content). */
async function fetchRemote(remote: string): Promise<Remote> {
  if (isGitURL(remote)) throw invalidArgument(`git build contexts are not supported: ${remote}`);
  if (!isURL(remote)) throw invalidArgument(`remoteURL (${remote}) could not be recognized as URL`);
  let res: Response;
  try {
    res = await getWithStatusError(remote);
  } catch (e) {
    throw invalidArgument(`error downloading remote context ${remote}: ${(e as Error).message}`);
  }
  if (!res.body) throw invalidArgument(`error detecting content type for remote ${remote}: empty response`);
  const { head, all } = await peek(Readable.fromWeb(res.body as never), 100);
  if (head.length === 0) throw invalidArgument(`error detecting content type for remote ${remote}: empty response`);
  const header = res.headers.get('content-type') ?? '';
  const type = header === '' || header === 'application/octet-stream' ? sniffType(head) : header;
  const accepted = ACCEPTABLE_REMOTE_MIME.exec(type)?.[0];
  if (!accepted) {
    all.destroy();
    throw invalidArgument(`error detecting content type for remote ${remote}: unsupported Content-Type ${JSON.stringify(header)}`);
  }
  if (accepted === 'text/plain') {
    const chunks: Buffer[] = [];
    for await (const c of all) chunks.push(c as Buffer);
    return { kind: 'dockerfile', text: Buffer.concat(chunks).toString('utf8') };
  }
  return { kind: 'archive', body: all };
}

/**
 * The part of Go's http.DetectContentType that matters here: archives by magic, else text
 * when the first bytes hold no binary control bytes (as its text/plain rule).
 */
export function sniffType(b: Buffer): string {
  if (b[0] === 0x1f && b[1] === 0x8b) return 'application/x-gzip';
  if (b.subarray(0, 3).toString('latin1') === 'BZh') return 'application/octet-stream';
  if (b.length >= 262 && b.subarray(257, 262).toString('latin1') === 'ustar') return 'application/x-tar';
  for (const c of b) {
    if (c <= 0x08 || c === 0x0b || (c >= 0x0e && c <= 0x1a) || (c >= 0x1c && c <= 0x1f)) return 'application/octet-stream';
  }
  return 'text/plain';
}
