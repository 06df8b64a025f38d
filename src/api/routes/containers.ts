import type { FastifyInstance } from 'fastify';
import { isRunning } from '../../domain/container';
import { invalidArgument } from '../../domain/errors';
import { parseTimestamp } from '../../domain/time';
import { getContainer, type EngineContext } from '../../engine/context';
import { createContainer, type CreateRequest } from '../../engine/create-container';
import { killContainer, stopContainer } from '../../engine/kill-container';
import { readLogs } from '../../engine/read-logs';
import { pauseContainer, unpauseContainer } from '../../engine/pause-container';
import { renameContainer } from '../../engine/rename-container';
import { removeContainer } from '../../engine/remove-container';
import { logPath, startContainer } from '../../engine/start-container';
import { waitContainer } from '../../engine/wait-container';
import { parseFilters } from '../wire/event';
import { toInspect, toSummary, dockerState } from '../wire/container';
import { frame, STDERR, STDOUT } from '../stream';
import { attach } from './attach';
import { resizeContainer } from '../../engine/resize-container';
import { toHttpError } from '../errors';

type Q = Record<string, string | undefined>;
const truthy = (v: string | undefined) => v === '1' || v === 'true' || v === 'True';

export function containerRoutes(app: FastifyInstance, ctx: EngineContext): void {
  app.post('/containers/create', async (req, reply) => {
    const q = req.query as Q;
    const body = (req.body ?? {}) as CreateRequest;
    if (typeof body !== 'object' || Array.isArray(body)) throw invalidArgument('invalid JSON: expected an object');
    const { id, warnings } = await createContainer(ctx, body, q.name);
    reply.code(201);
    return { Id: id, Warnings: warnings };
  });

  app.get('/containers/json', async (req) => {
    const q = req.query as Q;
    const all = truthy(q.all);
    let filters: Record<string, string[]> = {};
    try {
      filters = parseFilters(q.filters);
    } catch {
      throw invalidArgument('invalid filter');
    }
    let list = [...ctx.views.containers.values()].sort((a, b) => (a.createdSeq < b.createdSeq ? 1 : -1));
    const limit = Number(q.limit ?? -1);
    // -n / -l (a limit) list stopped containers too, as Docker does.
    if (!all && limit <= 0 && !filters.status && !filters.exited) list = list.filter(isRunning);
    list = list.filter((c) => {
      if (filters.status?.length && !filters.status.includes(dockerState(c))) return false;
      if (filters.exited?.length && !(c.status === 'exited' && filters.exited.includes(String(c.exitCode)))) return false;
      if (filters.id?.length && !filters.id.some((p) => c.id.startsWith(p))) return false;
      if (filters.name?.length && !filters.name.some((n) => new RegExp(n.replace(/^\//, '')).test(c.name))) return false;
      if (filters.volume?.length && !filters.volume.some((v) => c.mounts?.some((m) => m.Name === v || m.Source === v || m.Destination === v))) return false;
      if (filters.ancestor?.length && !filters.ancestor.some((a) => a === c.image || c.imageId.includes(a))) return false;
      if (filters.label?.length) {
        for (const l of filters.label) {
          const [k, v] = l.split('=', 2);
          const got = c.config.Labels?.[k];
          if (got === undefined || (v !== undefined && got !== v)) return false;
        }
      }
      return true;
    });
    if (limit > 0) list = list.slice(0, limit);
    return list.map((c) => toSummary(c));
  });

  app.get('/containers/:id/json', async (req) => {
    const c = getContainer(ctx.views, (req.params as { id: string }).id);
    const img = ctx.views.images.images.get(c.imageId);
    return toInspect(c, {
      logPath: logPath(ctx, c.id),
      mergedDir: ctx.storage.mergedDir(c.id),
      upperDir: ctx.storage.upperDir(c.id),
      lowerDirs: img ? ctx.images.lowerDirs(img.layers) : [],
    });
  });

  app.post('/containers/:id/start', async (req, reply) => {
    await startContainer(ctx, (req.params as { id: string }).id);
    reply.code(204).send();
  });

  app.post('/containers/:id/stop', async (req, reply) => {
    const q = req.query as Q;
    await stopContainer(ctx, (req.params as { id: string }).id, q.t !== undefined ? Number(q.t) : undefined, q.signal);
    reply.code(204).send();
  });

  app.post('/containers/:id/restart', async (req, reply) => {
    const q = req.query as Q;
    const id = (req.params as { id: string }).id;
    const c = getContainer(ctx.views, id);
    if (isRunning(c)) await stopContainer(ctx, id, q.t !== undefined ? Number(q.t) : undefined, q.signal);
    await startContainer(ctx, id);
    reply.code(204).send();
  });

  app.post('/containers/:id/pause', async (req, reply) => {
    await pauseContainer(ctx, (req.params as { id: string }).id);
    reply.code(204).send();
  });

  app.post('/containers/:id/unpause', async (req, reply) => {
    await unpauseContainer(ctx, (req.params as { id: string }).id);
    reply.code(204).send();
  });

  app.post('/containers/:id/rename', async (req, reply) => {
    await renameContainer(ctx, (req.params as { id: string }).id, (req.query as Q).name ?? '');
    reply.code(204).send();
  });

  app.post('/containers/:id/kill', async (req, reply) => {
    await killContainer(ctx, (req.params as { id: string }).id, (req.query as Q).signal);
    reply.code(204).send();
  });

  app.delete('/containers/:id', async (req, reply) => {
    const q = req.query as Q;
    await removeContainer(ctx, (req.params as { id: string }).id, { force: truthy(q.force), volumes: truthy(q.v) });
    reply.code(204).send();
  });

  app.post('/containers/:id/wait', async (req, reply) => {
    const q = req.query as Q;
    // Register the waiter, then send the headers at once: the client starts the container
    // only after it has them.
    const result = waitContainer(ctx, (req.params as { id: string }).id, q.condition || 'not-running');
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    try {
      const code = await result;
      res.end(`${JSON.stringify({ StatusCode: code, Error: null })}\n`);
    } catch (e) {
      res.end(`${JSON.stringify({ StatusCode: -1, Error: { Message: toHttpError(e).message } })}\n`);
    }
  });

  app.post('/containers/:id/resize', async (req, reply) => {
    const q = req.query as Q;
    await resizeContainer(ctx, (req.params as { id: string }).id, Number(q.h), Number(q.w));
    reply.code(200).send();
  });

  app.get('/containers/:id/logs', async (req, reply) => {
    const q = req.query as Q;
    const c = getContainer(ctx.views, (req.params as { id: string }).id);
    const wantOut = truthy(q.stdout);
    const wantErr = truthy(q.stderr);
    if (!wantOut && !wantErr) throw invalidArgument('Bad parameters: you must choose at least one stream');
    const tail = q.tail === undefined || q.tail === 'all' ? undefined : Number(q.tail);
    const sinceNanos = q.since && q.since !== '0' ? parseTimestamp(q.since) : undefined;
    const untilNanos = q.until && q.until !== '0' ? parseTimestamp(q.until) : undefined;
    const timestamps = truthy(q.timestamps);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'Content-Type': c.config.Tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream' });
    res.flushHeaders();
    const ac = new AbortController();
    res.on('close', () => ac.abort());
    try {
      for await (const e of readLogs(ctx, c.id, { follow: truthy(q.follow), tail, sinceNanos, untilNanos, signal: ac.signal })) {
        if ((e.stream === 'stdout' && !wantOut) || (e.stream === 'stderr' && !wantErr)) continue;
        const data = timestamps ? Buffer.concat([Buffer.from(`${e.time} `), e.data]) : e.data;
        const ok = res.write(c.config.Tty ? data : frame(e.stream === 'stdout' ? STDOUT : STDERR, data));
        if (!ok) await new Promise((r) => res.once('drain', r));
      }
    } catch (err) {
      ctx.log.warn({ err }, 'logs stream failed');
    }
    res.end();
  });

  app.post('/containers/:id/attach', async (req, reply) => {
    const q = req.query as Q;
    const id = (req.params as { id: string }).id;
    getContainer(ctx.views, id);
    reply.hijack();
    await attach(ctx, id, q, req.raw.socket, Buffer.alloc(0), false);
  });
}

