import type { FastifyInstance, FastifyReply } from 'fastify';
import { many, one } from '../query';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isRunning } from '../../domain/container';
import type { UpdateRequest } from '../../domain/container-update';
import { invalidArgument } from '../../domain/errors';
import type { ContainerConfig } from '../../domain/events';
import { archiveContainerPath, extractToContainer, statContainerPath, type PathStat } from '../../engine/containers/container-archive';
import { containerChanges } from '../../engine/containers/container-changes';
import { hostForStats, takeReading, type Reading } from '../../engine/containers/container-stats';
import { commitContainer } from '../../engine/containers/commit-container';
import { getContainer } from '../../engine/lookup';
import { exportContainer } from '../../engine/containers/export-container';
import { pruneContainers } from '../../engine/containers/prune-containers';
import { topContainer } from '../../engine/containers/top-container';
import { updateContainer } from '../../engine/containers/update-container';
import { parseFilters } from '../wire/event';
import { emptyDockerStats, toDockerStats } from '../wire/stats';
import * as S from '../schemas/containers';
import { apiBefore } from '../api-version';

import type { EngineDeps } from '../../engine/ports';

/** What container-commands uses of the engine. */
export type ContainerCommandsRouteDeps = Pick<EngineDeps, 'journal' | 'views' | 'runtime' | 'storage' | 'images' | 'volumes' | 'containersDir' | 'hostLimits' | 'log' | 'locks' | 'quarantine' | 'live'>;
type Q = Record<string, string | string[] | undefined>;
const truthy = (v: string | string[] | undefined) => ['1', 'true', 'True'].includes(one(v) ?? '');
const idOf = (req: { params: unknown }) => (req.params as { id: string }).id;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const STAT_HEADER = 'X-Docker-Container-Path-Stat';
const statHeader = (s: PathStat) => Buffer.from(JSON.stringify(s)).toString('base64');

/** Send a tar stream as the whole response (the handler has taken the reply over). */
async function sendTar(reply: FastifyReply, tar: Readable, headers: Record<string, string> = {}): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'Content-Type': 'application/x-tar', ...headers });
  try {
    await pipeline(tar, res);
  } catch {
    res.destroy(); // the client went away, or reading the tree failed: the tar is cut short
  }
}

/** top, diff, export, cp (archive), stats, update, prune, commit. */
export function containerCommandRoutes(app: FastifyInstance, ctx: ContainerCommandsRouteDeps): void {
  app.get('/containers/:id/top', { schema: { querystring: S.topQuery } }, async (req) => topContainer(ctx, idOf(req), one((req.query as Q).ps_args)));

  app.get('/containers/:id/changes', async (req) => containerChanges(ctx, idOf(req)));

  app.get('/containers/:id/export', async (req, reply) => {
    await exportContainer(ctx, idOf(req), (tar) => sendTar(reply, tar));
  });

  // HEAD first: fastify would otherwise derive it from the GET route.
  app.head('/containers/:id/archive', { schema: { querystring: S.archiveQuery } }, async (req, reply) => {
    const p = one((req.query as Q).path);
    if (!p) throw invalidArgument('path is required');
    const stat = await statContainerPath(ctx, idOf(req), p);
    reply.header(STAT_HEADER, statHeader(stat)).header('Content-Type', 'application/json').code(200).send();
  });

  app.get('/containers/:id/archive', { schema: { querystring: S.archiveQuery } }, async (req, reply) => {
    const p = one((req.query as Q).path);
    if (!p) throw invalidArgument('path is required');
    await archiveContainerPath(ctx, idOf(req), p, (stat, tar) => sendTar(reply, tar, { [STAT_HEADER]: statHeader(stat) }));
  });

  app.put('/containers/:id/archive', { schema: { querystring: S.archiveQuery } }, async (req, reply) => {
    const q = req.query as Q;
    const p = one(q.path);
    if (!p) throw invalidArgument('path is required');
    await extractToContainer(ctx, idOf(req), p, req.raw, { noOverwriteDirNonDir: truthy(q.noOverwriteDirNonDir), copyUIDGID: truthy(q.copyUIDGID) });
    reply.code(200).send();
  });

  // POST /containers/{id}/copy {"Resource": path}: the path as a tar (API < 1.24; dockerd
  // answered later versions with a bare 404). Entries are named after the path's last element.
  app.post('/containers/:id/copy', {
    schema: { body: S.copyBody },
    onRequest: async (req, reply) => {
      if (!apiBefore(req, 1, 24)) return reply.code(404).send();
    },
  }, async (req, reply) => {
    const resource = ((req.body ?? {}) as { Resource?: string | null }).Resource;
    if (!resource) throw invalidArgument('Path cannot be empty');
    await archiveContainerPath(ctx, idOf(req), resource, (_stat, tar) => sendTar(reply, tar));
  });

  app.get('/containers/:id/stats', { schema: { querystring: S.statsQuery } }, async (req, reply) => {
    const q = req.query as Q;
    const c = getContainer(ctx.views, idOf(req));
    const stream = one(q.stream) === undefined ? true : truthy(q.stream);
    const host = hostForStats();
    if (!stream) {
      if (truthy(q['one-shot'])) {
        const now = await takeReading(ctx, c.id);
        return now ? toDockerStats(c, now, undefined, host) : emptyDockerStats(c);
      }
      // Two readings a moment apart, so the CPU percentage has something to compare with.
      const before = await takeReading(ctx, c.id);
      if (!before) return emptyDockerStats(c);
      await sleep(250);
      const now = await takeReading(ctx, c.id);
      return now ? toDockerStats(c, now, before, host) : emptyDockerStats(c);
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    let open = true;
    res.on('close', () => (open = false));
    let prev: Reading | undefined;
    while (open) {
      const cur = ctx.views.containers.get(c.id);
      if (!cur) break;
      const now = isRunning(cur) ? await takeReading(ctx, c.id).catch(() => undefined) : undefined;
      const body = now ? toDockerStats(cur, now, prev, host) : emptyDockerStats(cur);
      prev = now;
      if (!open) break;
      res.write(`${JSON.stringify(body)}\n`);
      await sleep(1000);
    }
    res.end();
  });

  app.post('/containers/:id/update', { schema: { body: S.updateBody } }, async (req) => {
    const body = (req.body ?? {}) as UpdateRequest;
    if (typeof body !== 'object' || Array.isArray(body)) throw invalidArgument('invalid JSON: expected an object');
    return { Warnings: await updateContainer(ctx, idOf(req), body) };
  });

  app.post('/containers/prune', { schema: { querystring: S.pruneQuery } }, async (req) => {
    let filters: Record<string, string[]>;
    try {
      filters = parseFilters(one((req.query as Q).filters));
    } catch {
      throw invalidArgument('invalid filter');
    }
    return pruneContainers(ctx, filters);
  });

  app.post('/commit', { schema: { body: S.commitBody, querystring: S.commitQuery } }, async (req, reply) => {
    const q = req.query as Q;
    const body = req.body as Partial<ContainerConfig> | null | undefined;
    if (body !== null && body !== undefined && (typeof body !== 'object' || Array.isArray(body))) throw invalidArgument('invalid JSON: expected an object');
    const id = await commitContainer(ctx, one(q.container) ?? '', {
      repo: one(q.repo) || undefined,
      tag: one(q.tag) || undefined,
      comment: one(q.comment),
      author: one(q.author),
      // Docker pauses unless told not to.
      pause: one(q.pause) === undefined || one(q.pause) === '' ? true : truthy(q.pause),
      changes: many(q.changes),
      config: body,
    });
    reply.code(201);
    return { Id: id };
  });
}
