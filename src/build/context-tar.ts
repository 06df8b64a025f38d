import { randomBytes } from 'node:crypto';
import fs, { promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import ignore from '@balena/dockerignore';
import * as tar from 'tar-stream';

type Header = Partial<tar.Header> & { name: string };
import { byteOrder } from '../storage/scoped-fs';
import { headerOf } from '../storage/tar-pack';

/**
 * The client side of `wharf build PATH [-f FILE]`: the context directory as a tar, filtered
 * by its .dockerignore the way the docker CLI does it (checked against CLI 28's archive):
 * uid/gid 0 and no user names, modes kept, symlinks as symlinks, hard links as links.
 */
export interface PackedContext {
  stream: Readable;
  /** The Dockerfile's name inside the context, for the `dockerfile` query parameter. */
  dockerfileName: string;
}

export function packContext(dir: string, o: { dockerfile?: string }): PackedContext {
  const root = path.resolve(dir);
  const plan = planDockerfile(root, o.dockerfile);
  const ignoreText = readIgnoreFile(root);
  const out = new PassThrough();
  const pack = tar.pack();
  pipeline(pack as unknown as Readable, out).catch((e: Error) => out.destroy(e));
  writeContext(pack, root, plan, ignoreText).catch((e: Error) => {
    (pack as unknown as { destroy(e: Error): void }).destroy(e);
    out.destroy(e);
  });
  return { stream: out, dockerfileName: plan.name };
}

interface DockerfilePlan {
  name: string;
  /** Set when the Dockerfile is outside the context: its bytes, sent under `name`. */
  outside?: Buffer;
}

/**
 * Where the Dockerfile is in the context, as the CLI decides it: both paths with symlinks
 * resolved; outside the context it is sent as ".dockerfile.<20 hex>" (and .dockerignore
 * told to drop it, so `COPY . /x` never sees it).
 */
function planDockerfile(root: string, dockerfile: string | undefined): DockerfilePlan {
  const given = dockerfile ? path.resolve(dockerfile) : path.join(root, 'Dockerfile');
  let real: string;
  let realRoot: string;
  try {
    realRoot = fs.realpathSync(root);
    real = fs.realpathSync(given);
  } catch (e) {
    throw new Error(`unable to prepare context: unable to evaluate symlinks in Dockerfile path: ${(e as Error).message}`);
  }
  const rel = path.relative(realRoot, real);
  if (rel && rel !== '..' && !rel.startsWith('../') && !path.isAbsolute(rel)) return { name: rel.split(path.sep).join('/') };
  return { name: `.dockerfile.${randomBytes(10).toString('hex')}`, outside: fs.readFileSync(real) };
}

function readIgnoreFile(root: string): string | undefined {
  try {
    return fs.readFileSync(path.join(root, '.dockerignore'), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** The .dockerignore as sent when the Dockerfile rides along under a generated name (as the CLI rewrites it). */
function ignoreTextWith(text: string | undefined, name: string): string {
  return text === undefined ? `.dockerignore\n${name}\n` : `${text}\n${name}\n`;
}

/** The CLI's matcher: .dockerignore and the Dockerfile are never excluded (TrimBuildFilesFromExcludes). */
function contextFilter(ignoreText: string | undefined, dockerfileName: string): { ignores(rel: string): boolean; hasExceptions: boolean } {
  const patterns = (ignoreText ?? '').split(/\r?\n/);
  const ig = ignore({ ignorecase: false }).add([...patterns, '!.dockerignore', `!${dockerfileName}`]);
  const hasExceptions = patterns.some((p) => p.trim().startsWith('!')) || dockerfileName.includes('/');
  return { ignores: (rel) => ig.ignores(rel), hasExceptions };
}

async function writeContext(pack: tar.Pack, root: string, plan: DockerfilePlan, ignoreText: string | undefined): Promise<void> {
  const filter = contextFilter(ignoreText, plan.name);
  const links = new Map<string, string>();
  const walk = async (absDir: string, relDir: string): Promise<void> => {
    const names = (await fsp.readdir(absDir)).sort(byteOrder);
    for (const name of names) {
      const rel = relDir ? `${relDir}/${name}` : name;
      const abs = path.join(absDir, name);
      const st = await fsp.lstat(abs).catch(() => undefined);
      if (!st) continue;
      const skip = filter.ignores(rel);
      // An excluded directory is still walked when an exception ("!x") may re-include something in it.
      if (!skip) {
        if (plan.outside && rel === '.dockerignore') await addBuffer(pack, st, rel, Buffer.from(ignoreTextWith(ignoreText, plan.name)));
        else await addPath(pack, abs, rel, st, links);
      }
      if (st.isDirectory() && (!skip || filter.hasExceptions)) await walk(abs, rel);
    }
  };
  await walk(root, '');
  if (plan.outside) {
    const now = new Date();
    await addEntry(pack, { name: plan.name, mode: 0o600, mtime: now, type: 'file', size: plan.outside.length }, plan.outside);
    if (ignoreText === undefined) {
      const body = Buffer.from(ignoreTextWith(undefined, plan.name));
      await addEntry(pack, { name: '.dockerignore', mode: 0o600, mtime: now, type: 'file', size: body.length }, body);
    }
  }
  pack.finalize();
}

function addEntry(pack: tar.Pack, h: Header, body?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const cb = (err?: Error | null) => (err ? reject(err) : resolve());
    if (body) pack.entry(h as tar.Header, body, cb);
    else pack.entry(h as tar.Header, cb);
  });
}

function addBuffer(pack: tar.Pack, st: Stats, rel: string, body: Buffer): Promise<void> {
  return addEntry(pack, { ...headerOf(st, rel)!, uid: 0, gid: 0, size: body.length }, body);
}

/** One file system entry, as the CLI sends it: uid/gid 0, mode and mtime kept; sockets left out. */
async function addPath(pack: tar.Pack, abs: string, rel: string, st: Stats, links: Map<string, string>): Promise<void> {
  const base = headerOf(st, rel);
  if (!base) return;
  const h: Header = { ...base, uid: 0, gid: 0 };
  if (h.type === 'symlink') {
    h.linkname = await fsp.readlink(abs);
    return addEntry(pack, h);
  }
  if (h.type !== 'file') return addEntry(pack, h);
  if (st.nlink > 1) {
    const key = `${st.dev}:${st.ino}`;
    const first = links.get(key);
    if (first) return addEntry(pack, { ...h, type: 'link', linkname: first, size: 0 });
    links.set(key, rel);
  }
  await new Promise<void>((resolve, reject) => {
    const sink = pack.entry(h as tar.Header, (err) => (err ? reject(err) : resolve()));
    const src = fs.createReadStream(abs, { start: 0, end: Math.max(0, (h.size ?? 0) - 1) });
    if (!h.size) {
      src.destroy();
      (sink as unknown as NodeJS.WritableStream).end();
      return;
    }
    src.on('error', reject);
    src.pipe(sink as unknown as NodeJS.WritableStream);
  });
}
