import type { FastifyInstance, FastifyReply } from 'fastify';
import { many, one, truthy } from '../query';
import { invalidArgument, WharfError } from '../../domain/errors';
import { getImage } from '../../engine/lookup';
import { importFromUrl, importImage, importUrl } from '../../engine/images/import-image';
import { pruneImages } from '../../engine/images/prune-images';
import { removeImage } from '../../engine/images/remove-image';
import { loadImages } from '../../engine/images/load-images';
import { saveImages } from '../../engine/images/save-images';
import { pipeline } from 'node:stream/promises';
import { tagImage } from '../../engine/images/tag-image';
import { parseFilters } from '../wire/event';
import { apiBefore, apiVersionOf, plainTextError } from '../api-version';
import { bareId as bareIdOf, before, legacyImageInspect, legacyImageSummary } from '../wire/legacy';
import { insertFile, type InsertFileDeps } from '../../engine/images/insert-file';
import { inspectDistribution } from '../../engine/images/inspect-distribution';
import { toImageInspect, toImageSummary } from '../wire/image';
import { toHttpError } from '../errors';
import { isBareName, planPull, pullAllTags, runPull } from '../../engine/images/pull-image';
import { pushTargets, runPush } from '../../engine/images/push-image';
import { searchImages } from '../../engine/images/search-images';
import { credentialsFromHeader } from '../../registry/auth';
import { ProgressWriter } from '../wire/progress';
import * as S from '../schemas/images';

import type { EngineDeps } from '../../engine/ports';

/** What images uses of the engine. */
export type ImagesRouteDeps = Pick<EngineDeps, 'journal' | 'views' | 'images' | 'registry'> & InsertFileDeps;
type Q = Record<string, string | string[] | undefined>;

export function imageRoutes(app: FastifyInstance, ctx: ImagesRouteDeps): void {
  app.post('/images/create', { schema: { querystring: S.imageCreateQuery } }, async (req, reply) => {
    const q = req.query as Q;
    const fromSrc = one(q.fromSrc);
    if (!fromSrc) {
      const image = one(q.fromImage);
      if (!image) throw invalidArgument('fromImage or fromSrc is required');
      // The manifest is found first: a bad name or tag is an HTTP error, not a line of the stream.
      const request = { image, tag: one(q.tag), platform: one(q.platform), creds: credentialsFromHeader(req.headers['x-registry-auth']) };
      // No tag, and none in the name: every tag (docker pull -a), as the API says.
      if (!request.tag && isBareName(image)) {
        await streamProgress(reply, (out) => pullAllTags(ctx, request, out));
        return;
      }
      const plan = await planPull(ctx, request);
      await streamProgress(reply, (out) => runPull(ctx, plan, out));
      return;
    }
    const opts = { repo: one(q.repo), tag: one(q.tag), message: one(q.message), changes: many(q.changes), source: fromSrc };
    if (fromSrc === '-') {
      await streamProgress(reply, async (out) => out.send({ status: await importImage(ctx, req.raw, opts) }));
      return;
    }
    // A URL: the daemon downloads the archive (a bare host/path is taken as http, as Docker does).
    const url = importUrl(fromSrc);
    await streamProgress(reply, async (out) => out.send({ status: await importFromUrl(ctx, url, opts, out) }));
  });

  app.post('/images/prune', { schema: { querystring: S.imagePruneQuery } }, async (req) => {
    let filters: Record<string, string[]> = {};
    try {
      filters = parseFilters(one((req.query as Q).filters));
    } catch {
      throw invalidArgument('invalid filter');
    }
    return pruneImages(ctx, filters);
  });

  app.get('/images/json', { schema: { querystring: S.imageListQuery } }, async (req) => {
    const q = req.query as Q;
    let filters: Record<string, string[]> = {};
    try {
      filters = parseFilters(one(q.filters));
    } catch {
      throw invalidArgument('invalid filter');
    }
    const counts = new Map<string, number>();
    for (const c of ctx.views.containers.values()) counts.set(c.imageId, (counts.get(c.imageId) ?? 0) + 1);
    let list = [...ctx.views.images.images.values()].sort((a, b) => (a.created < b.created ? 1 : -1));
    // Without all, intermediate images (untagged, with a child: a build's steps) are left out, as Docker does.
    const parents = new Set(list.map((i) => i.parent).filter(Boolean));
    if (!truthy(one(q.all))) list = list.filter((i) => i.tags.length > 0 || !parents.has(i.id));
    if (filters.dangling?.length) {
      // Dangling: untagged and nothing built on it.
      const want = filters.dangling[0] === 'true' || filters.dangling[0] === '1';
      list = list.filter((i) => (i.tags.length === 0 && !parents.has(i.id)) === want);
    }
    if (filters.reference?.length) {
      // As Docker does, an image is listed with only the tags (and digests) that match.
      const matches = (ref: string) => filters.reference.some((r) => globMatch(r, ref) || globMatch(r, ref.replace(/(:[^:/]*|@.*)$/, '')));
      list = list
        .filter((i) => i.tags.some(matches))
        .map((i) => ({ ...i, tags: i.tags.filter(matches), repoDigests: (i.repoDigests ?? []).filter(matches) }));
    }
    // before / since: images created before (after) the one named.
    if (filters.before?.length) {
      const t = getImage(ctx.views, filters.before[0]).created;
      list = list.filter((i) => i.created < t);
    }
    if (filters.since?.length) {
      const t = getImage(ctx.views, filters.since[0]).created;
      list = list.filter((i) => i.created > t);
    }
    if (filters.label?.length) {
      list = list.filter((i) => filters.label.every((l) => {
        const [k, v] = l.split('=', 2);
        const got = i.config.Labels?.[k];
        return got !== undefined && (v === undefined || got === v);
      }));
    }
    // Before API 1.22: ids without "sha256:", "<none>:<none>" for an untagged image (the v1.9 shape).
    const v = apiVersionOf(req.originalUrl ?? req.url);
    if (v && before(v, 1, 22)) return list.map((i) => legacyImageSummary(i, v));
    const wire = { virtualSize: apiBefore(req, 1, 44) };
    return list.map((i) => toImageSummary(i, counts.get(i.id) ?? 0, wire));
  });

  // docker search: the catalog of the registry named in the term.
  app.get('/images/search', { schema: { querystring: S.imageSearchQuery } }, async (req) => {
    const q = req.query as Q;
    const term = one(q.term);
    if (!term) throw invalidArgument('term is required');
    const limit = Number(one(q.limit) ?? 25) || 25;
    if (limit < 1 || limit > 100) throw invalidArgument('limit must be between 1 and 100');
    let filters: Record<string, string[]> = {};
    try {
      filters = parseFilters(one(q.filters));
    } catch {
      throw invalidArgument('invalid filter');
    }
    let found = await searchImages(ctx, term, limit, credentialsFromHeader(req.headers['x-registry-auth']));
    if (filters['is-official']?.[0] === 'true') found = found.filter((r) => r.is_official);
    if (filters['is-automated']?.[0] === 'true') found = found.filter((r) => r.is_automated);
    if (filters.stars?.length) found = found.filter((r) => r.star_count >= Number(filters.stars[0]));
    // Before API 1.12 an automated build was a "trusted" one.
    if (apiBefore(req, 1, 12)) return found.map((r) => ({ ...r, is_trusted: r.is_automated }));
    return found;
  });

  // docker save: one archive of the images named (names repeated in the query).
  const sendSaved = async (reply: FastifyReply, names: string[]) => {
    if (!names.length) throw invalidArgument('no images given');
    const tar = await saveImages(ctx, names);
    reply.hijack();
    reply.raw.writeHead(200, { 'Content-Type': 'application/x-tar' });
    await pipeline(tar, reply.raw).catch(() => reply.raw.destroy());
  };
  app.get('/images/get', { schema: { querystring: S.imageSaveQuery } }, async (req, reply) => {
    const n = (req.query as Record<string, string | string[] | undefined>).names;
    await sendSaved(reply, n === undefined ? [] : Array.isArray(n) ? n : [n]);
  });

  // docker load: the archive is the body; the answer a JSON stream (or one line with quiet).
  // A load that fails is reported in the stream, as dockerd does (docker-py raises ImageLoadError from it).
  app.post('/images/load', { schema: { querystring: S.imageLoadQuery } }, async (req, reply) => {
    reply.header('Content-Type', 'application/json');
    try {
      const lines = await loadImages(ctx, req.raw);
      return lines.map((l) => `${JSON.stringify({ stream: `${l}\n` })}\n`).join('');
    } catch (e) {
      const { status, message } = toHttpError(e);
      if (status >= 500) req.log.error({ err: e, url: req.url }, 'load failed');
      return `${JSON.stringify({ errorDetail: { message }, error: message })}\n`;
    }
  });

  // Image names may contain slashes (localhost:5000/team/app), so these routes take the rest of the path.
  app.get('/distribution/*', async (req) => {
    const rest = (req.params as { '*': string })['*'];
    if (!rest.endsWith('/json')) throw new WharfError('not-found', 'page not found');
    const d = await inspectDistribution(ctx, decodeURIComponent(rest.slice(0, -5)), credentialsFromHeader(req.headers['x-registry-auth']));
    return { Descriptor: d.descriptor, Platforms: d.platforms };
  });

  app.get('/images/*', async (req, reply) => {
    const rest = (req.params as { '*': string })['*'];
    if (rest.endsWith('/get')) {
      await sendSaved(reply, [decodeURIComponent(rest.slice(0, -4))]);
      return;
    }
    // Since API 1.7 the client draws the graph from /images/json; Docker 0.7 answered so (and later ones had no such route).
    if (rest === 'viz') {
      if (apiBefore(req, 1, 24)) return plainTextError(reply, 404, 'This is now implemented in the client.');
      throw new WharfError('not-found', 'page not found');
    }
    if (rest.endsWith('/json')) {
      const img = getImage(ctx.views, decodeURIComponent(rest.slice(0, -5)));
      // Before API 1.12 an image's JSON was in lower case, as Docker 0.7 stored it.
      if (apiBefore(req, 1, 12)) return legacyImageInspect(img);
      return toImageInspect(img, ctx.images.lowerDirs(img.layers), { virtualSize: apiBefore(req, 1, 44) });
    }
    if (rest.endsWith('/history')) {
      const img = getImage(ctx.views, decodeURIComponent(rest.slice(0, -8)));
      // Each history entry that made a layer gets that layer's size (bottom first).
      let layer = 0;
      const sizes = img.history.map((h) => (h.empty_layer ? 0 : img.layerSizes?.[layer++] ?? img.size));
      // An entry is named by the local image it made, when the parent line holds it (a build's steps, a commit's parent).
      const byDepth = new Map<number, { id: string; tags: string[] }>();
      for (let p: typeof img | undefined = img; p; p = p.parent ? ctx.views.images.images.get(p.parent) : undefined) byDepth.set(p.history.length - 1, p);
      return img.history
        .map((h, i) => ({ h, size: sizes[i], made: byDepth.get(i) }))
        .reverse()
        .map(({ h, size, made }) => ({
          Id: made?.id ?? '<missing>',
          Created: Math.floor(Date.parse(h.created) / 1000),
          CreatedBy: h.created_by ?? '',
          Tags: made?.tags.length ? made.tags : null,
          Size: size,
          Comment: h.comment ?? '',
        }));
    }
    throw new WharfError('not-found', `page not found`);
  });

  app.post('/images/*', { schema: { querystring: S.imageTagQuery } }, async (req, reply) => {
    const rest = (req.params as { '*': string })['*'];
    const q = req.query as Q;
    if (rest.endsWith('/push')) {
      const name = decodeURIComponent(rest.slice(0, -5));
      const tag = one(q.tag) || undefined;
      pushTargets(ctx, name, tag); // an unknown image is an HTTP error, before the stream
      const creds = credentialsFromHeader(req.headers['x-registry-auth']);
      await streamProgress(reply, (out) => runPush(ctx, name, tag, creds, out));
      return;
    }
    // POST /images/(name)/insert?path=&url= (API < 1.12): the file at url put at path, in a new image.
    if (rest.endsWith('/insert') && apiBefore(req, 1, 12)) {
      const name = decodeURIComponent(rest.slice(0, -7));
      const url = one(q.url);
      const path = one(q.path);
      if (!url) throw invalidArgument('url is required');
      if (!path) throw invalidArgument('path is required');
      getImage(ctx.views, name); // an unknown image is an HTTP error, before the stream
      await streamProgress(reply, async (out) => out.send({ status: bareIdOf(await insertFile(ctx, name, importUrl(url), path, out)) }));
      return;
    }
    if (rest.endsWith('/tag')) {
      const repo = one(q.repo);
      if (!repo) throw invalidArgument('repository name must have at least one component');
      await tagImage(ctx, decodeURIComponent(rest.slice(0, -4)), repo, one(q.tag));
      reply.code(201).send();
      return;
    }
    throw new WharfError('not-found', 'page not found');
  });

  app.delete('/images/*', { schema: { querystring: S.imageRemoveQuery } }, async (req) => {
    const q = req.query as Q;
    const name = decodeURIComponent((req.params as { '*': string })['*']);
    return removeImage(ctx, name, truthy(one(q.force)), truthy(one(q.noprune)));
  });
}

/**
 * Answer with a JSON progress stream. Its head goes with the first line of output, as
 * dockerd's does: an error before any output is an HTTP error; one after it ends the stream
 * as an error message.
 */
export async function streamProgress(reply: FastifyReply, work: (out: ProgressWriter) => Promise<unknown>): Promise<void> {
  const res = reply.raw;
  const begin = () => {
    reply.hijack();
    res.writeHead(200, { 'Content-Type': 'application/json' });
  };
  const out = new ProgressWriter(res, begin);
  try {
    await work(out);
  } catch (e) {
    if (!out.started) throw e;
    out.error(toHttpError(e).message);
  }
  if (!out.started) begin();
  res.end();
}

function globMatch(pattern: string, s: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`);
  return re.test(s);
}
