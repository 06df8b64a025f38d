import path from 'node:path';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { invalidArgument, isWharfError, WharfError } from '../../domain/errors';
import type { ContainerConfig } from '../../domain/events';
import { openUrl } from '../../registry/http';
import { getImage } from '../lookup';
import type { EngineDeps } from '../ports';
import type { CreateContainerDeps } from '../containers/create-container';
import type { ContainerArchiveDeps } from '../containers/container-archive';
import type { CommitContainerDeps } from '../containers/commit-container';
import type { RemoveContainerDeps } from '../containers/remove-container';
import type { ProgressSink } from '../lib/progress';
import { createContainer } from '../containers/create-container';
import { extractToContainer, statContainerPath } from '../containers/container-archive';
import { commitContainer } from '../containers/commit-container';
import { removeContainer } from '../containers/remove-container';

/**
 * insert (Remote API < 1.12, `docker insert IMAGE URL PATH`): the file at url, put at path
 * in a new image made on the image named. As Docker 0.7 did it: a container of the image
 * (`echo insert URL PATH`), the download written into it (its missing directories made),
 * the container committed; the container is then removed. A path that exists is refused.
 * Returns the new image's id.
 */
/** What insert uses of the engine: what the operations it composes use. */
export type InsertFileDeps = Pick<EngineDeps, 'views' | 'registry' | 'log'> & CreateContainerDeps & ContainerArchiveDeps & CommitContainerDeps & RemoveContainerDeps;

export async function insertFile(ctx: InsertFileDeps, name: string, url: URL, dest: string, out: ProgressSink): Promise<string> {
  const img = getImage(ctx.views, name);
  const abs = path.posix.resolve('/', dest);
  if (abs === '/') throw invalidArgument(`${dest} exists`);
  const res = await openUrl(url, ctx.registry.timeoutMs);
  if (res.status >= 400) {
    res.body.resume();
    throw new WharfError('internal', `Got HTTP status code >= 400: ${res.status} ${res.statusText ?? ''}`.trim());
  }
  // The whole file first: a tar entry states its size.
  const total = Number(res.headers['content-length'] ?? -1);
  const shortId = img.id.replace(/^sha256:/, '').slice(0, 12);
  const chunks: Buffer[] = [];
  let current = 0;
  for await (const c of res.body as AsyncIterable<Buffer>) {
    chunks.push(c);
    current += c.length;
    out.progress('Downloading', shortId, current, total);
  }
  const file = Buffer.concat(chunks);

  const { id } = await createContainer(ctx, { Image: img.id, Cmd: ['echo', 'insert', url.href, dest], Entrypoint: [] });
  try {
    if (await exists(ctx, id, abs)) throw invalidArgument(`${dest} exists`);
    // The directories on the way that the image lacks, then the file (0644, root's, as os.Create made it).
    const missing: string[] = [];
    for (let d = path.posix.dirname(abs); d !== '/'; d = path.posix.dirname(d)) {
      if (await exists(ctx, id, d)) break;
      missing.unshift(d);
    }
    const tar = pack();
    const mtime = new Date();
    for (const d of missing) tar.entry({ name: `${d.slice(1)}/`, type: 'directory', mode: 0o755, mtime });
    tar.entry({ name: abs.slice(1), mode: 0o644, size: file.length, mtime }, file);
    tar.finalize();
    await extractToContainer(ctx, id, '/', Readable.from(tar), { noOverwriteDirNonDir: false, copyUIDGID: false });
    // The new image keeps its parent's config (not the container's echo).
    return await commitContainer(ctx, id, { pause: false, comment: img.comment, author: img.author, config: img.config as Partial<ContainerConfig> });
  } finally {
    await removeContainer(ctx, id, { force: true, volumes: true }).catch((e: Error) => ctx.log.warn({ id, err: e.message }, 'insert: removing its container failed'));
  }
}

async function exists(ctx: InsertFileDeps, id: string, p: string): Promise<boolean> {
  try {
    await statContainerPath(ctx, id, p);
    return true;
  } catch (e) {
    if (isWharfError(e) && e.kind === 'not-found') return false;
    throw e;
  }
}
