import { Transform, type Readable } from 'node:stream';
import type { ProgressSink } from '../lib/progress';
import { openUrl } from '../../registry/http';
import { internal, invalidArgument } from '../../domain/errors';
import { TarFormatError } from '../../images/tar-scan';
import type { ImageConfig, WharfEvent } from '../../domain/events';
import { checkTag, checkTaggable, familiarString, parseReference } from '../../domain/reference';
import { nowRfc3339 } from '../../domain/time';

import { applyChanges } from './image-changes';
import { crashPoint } from '../lib/crash-point';

import type { EngineDeps } from '../ports';

/** What import-image uses of the engine. */
export type ImportImageDeps = Pick<EngineDeps, 'journal' | 'images' | 'registry'>;
export interface ImportOptions {
  repo?: string;
  tag?: string;
  message?: string;
  changes?: string[];
  source?: string;
}

/** import: a root filesystem tar (plain or gzip) becomes a one-layer image. */
export async function importImage(ctx: ImportImageDeps, body: Readable, o: ImportOptions): Promise<string> {
  let ref: string | undefined;
  if (o.repo) {
    const parsed = parseReference(o.repo);
    if (o.tag) {
      checkTag(o.tag);
      if (parsed.tag || parsed.digest) throw invalidArgument('invalid reference format');
      parsed.tag = o.tag;
    }
    checkTaggable(parsed);
    ref = familiarString(parsed);
  }
  const config: ImageConfig = applyChanges({}, o.changes ?? []);
  const layer = await ctx.images.ingestLayer(body).catch((e: Error) => {
    throw unreadableTar(e);
  });
  const created = nowRfc3339();
  const history = [{ created, comment: o.message || `Imported from ${o.source ?? '-'}`, created_by: '' }];
  const imageJson = {
    architecture: 'amd64',
    os: 'linux',
    created,
    config,
    rootfs: { type: 'layers', diff_ids: [layer.diffId] },
    history: history.map(({ created_by: _c, ...h }) => h),
    comment: o.message ?? '',
  };
  const id = await ctx.images.putBlob(JSON.stringify(imageJson));
  crashPoint('import.after-blobs');
  const events: WharfEvent[] = [
    {
      type: 'image.imported',
      data: { id, created, layers: [layer.diffId], size: layer.size, config, comment: o.message ?? '', history, source: o.source ?? '-' },
    },
  ];
  if (ref) events.push({ type: 'image.tagged', data: { id, ref } });
  await ctx.journal.append(events, ref ? { name: ref } : undefined);
  return id;
}

/** A layer tar that GNU tar cannot read, in dockerd's words (its untar runs in a child: "exit status 1"). */
function unreadableTar(e: Error): Error {
  // The layer's scanner reads the tar first (Go's words already); GNU tar's own refusals after it.
  const m = /^failed to unpack layer: (.*)$/s.exec(e.message) ?? (e instanceof TarFormatError ? [e.message, e.message] : null);
  if (!m) return e;
  const go = /does not look like a tar archive|Skipping to next header|invalid tar header/i.test(m[1]) ? 'archive/tar: invalid tar header' : /Unexpected EOF/i.test(m[1]) ? 'unexpected EOF' : m[1].trim();
  return internal(`Error processing tar file(exit status 1): ${go}`);
}

/** The URL of `docker import URL`: a bare host/path is taken as http, as Docker does; only http(s). */
export function importUrl(source: string): URL {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(source) ? source : `http://${source}`);
  } catch {
    throw invalidArgument(`invalid URL: ${source}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidArgument(`unsupported URL scheme: ${url.protocol.replace(':', '')}`);
  return url;
}

/** import from a URL: the daemon downloads the archive (redirects followed), with progress. */
export async function importFromUrl(ctx: ImportImageDeps, url: URL, o: ImportOptions, out: ProgressSink): Promise<string> {
  const res = await openUrl(url, ctx.registry.timeoutMs);
  out.send({ status: `Downloading from ${url.href}` });
  const total = Number(res.headers['content-length'] ?? -1);
  let current = 0;
  const counted = new Transform({
    transform(c: Buffer, _enc, cb) {
      current += c.length;
      if (total > 0) out.progress('Importing', '', current, total);
      cb(null, c);
    },
  });
  res.body.on('error', (e) => counted.destroy(e));
  return importImage(ctx, res.body.pipe(counted), { ...o, source: url.href });
}
