import { existsSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { etcDirOf } from '../../engine/networks/container-network';
import { isRunning } from '../../domain/container';
import { invalidArgument, noSuchContainer } from '../../domain/errors';
import { getContainer } from '../../engine/lookup';
import { createContainer, type CreateRequest } from '../../engine/containers/create-container';
import { killContainer, stopContainer } from '../../engine/containers/kill-container';
import { pauseContainer, unpauseContainer } from '../../engine/containers/pause-container';
import { renameContainer } from '../../engine/containers/rename-container';
import { removeContainer } from '../../engine/containers/remove-container';
import { linkNameIndex, removeLink } from '../../engine/containers/container-links';
import { startContainer } from '../../engine/containers/start-container';
import { logPath } from '../../engine/containers/log-rotation';
import { logConfigOf } from '../../domain/log-driver';
import { parseFilters } from '../wire/event';
import { toInspect, toSummary } from '../wire/container';
import { listContainers } from '../container-list';
import { containerSize } from '../../engine/containers/container-size';
import { attach, rawPeer } from './attach';
import { truthy, type Query as Q } from '../query';
import { resizeContainer } from '../../engine/containers/resize-container';
import * as S from '../schemas/containers';
import type { HostConfig } from '../../domain/events';
import { apiBefore, apiVersionOf } from '../api-version';
import { before, legacyContainerInspect, liftLegacyCreate } from '../wire/legacy';


import type { EngineDeps } from '../../engine/ports';

/** What containers uses of the engine. */
export type ContainersRouteDeps = Pick<EngineDeps, 'journal' | 'views' | 'runtime' | 'storage' | 'images' | 'volumes' | 'containersDir' | 'hostLimits' | 'log' | 'locks' | 'network' | 'netDefaults' | 'bootTime' | 'portProxy' | 'restarts' | 'quarantine' | 'healthLogs' | 'logDefaults' | 'live'>;
/** When the request arrived, as performance.now() (for the engine's -D trace). */
const arrivedAt = (reply: { elapsedTime: number }): number => performance.now() - reply.elapsedTime;

export function containerRoutes(app: FastifyInstance, ctx: ContainersRouteDeps): void {
  app.post('/containers/create', { schema: { body: S.containerCreateBody, querystring: S.containerCreateQuery } }, async (req, reply) => {
    const q = req.query as Q;
    const body = (req.body ?? {}) as CreateRequest;
    if (typeof body !== 'object' || Array.isArray(body)) throw invalidArgument('invalid JSON: expected an object');
    const lifted = apiBefore(req, 1, 19) ? liftLegacyCreate(body, apiBefore(req, 1, 15)) : body;
    // HostConfig's fields only, as Go's decoder reads them: a key it does not have is never recorded (nor shown by inspect).
    const request = lifted.HostConfig && typeof lifted.HostConfig === 'object' ? { ...lifted, HostConfig: hostConfigFields(lifted.HostConfig as Record<string, unknown>) } : lifted;
    const { id, warnings } = await createContainer(ctx, request, q.name, q.platform || undefined, arrivedAt(reply));
    reply.code(201);
    return { Id: id, Warnings: warnings };
  });

  app.get('/containers/json', { schema: { querystring: S.listQuery } }, async (req) => {
    const q = req.query as Q;
    let filters: Record<string, string[]> = {};
    try {
      filters = parseFilters(q.filters);
    } catch {
      throw invalidArgument('invalid filter');
    }
    const list = listContainers(ctx, { all: truthy(q.all), limit: Number(q.limit ?? -1), filters });
    const size = truthy(q.size);
    const links = linkNameIndex(ctx);
    return Promise.all(list.map(async (c) => toSummary(c, size ? await containerSize(ctx, c) : undefined, links.get(c.id))));
  });

  app.get('/containers/:id/json', async (req) => {
    const c = getContainer(ctx.views, (req.params as { id: string }).id);
    const img = ctx.views.images.images.get(c.imageId);
    const v = apiVersionOf(req.originalUrl ?? req.url);
    const legacy = (today: Record<string, unknown>) => (v && before(v, 1, 20) ? legacyContainerInspect(today, v) : today);
    return legacy(toInspect(
      c,
      {
        // Docker names a file only for json-file (local's is its own format; none keeps nothing),
        // once it exists ("" before the first start, as Docker's).
        logPath: logConfigOf(c.hostConfig.LogConfig).Type === 'json-file' && existsSync(logPath(ctx, c.id)) ? logPath(ctx, c.id) : '',
        mergedDir: ctx.storage.mergedDir(c.id),
        upperDir: ctx.storage.upperDir(c.id),
        lowerDirs: img ? ctx.images.lowerDirs(img.layers) : [],
        etcDir: existsSync(path.join(etcDirOf(ctx, c), 'hosts')) ? etcDirOf(ctx, c) : '',
      },
      truthy((req.query as Q).size) ? await containerSize(ctx, c) : undefined,
      ctx.healthLogs.of(c),
    ));
  });

  // A body of more than 7 bytes (or of unknown length) is a host config: applied before API
  // 1.24 (Docker 0.7's clients sent -p, -v, --link, --privileged so), refused since, in dockerd's words.
  const hasStartBody = (h: Record<string, string | string[] | undefined>) => Number(h['content-length'] ?? 0) > 7 || (h['content-length'] === undefined && h['transfer-encoding'] !== undefined);
  app.post('/containers/:id/start', {
    schema: { body: S.startBody },
    config: { smallBodyIgnored: true },
    onRequest: async (req) => {
      if (hasStartBody(req.headers) && !apiBefore(req, 1, 24)) throw invalidArgument('starting container with non-empty request body was deprecated since API v1.22 and removed in v1.24');
    },
  }, async (req, reply) => {
    const given = hasStartBody(req.headers) && req.body && typeof req.body === 'object' ? startHostConfig(req.body as Record<string, unknown>) : undefined;
    await startContainer(ctx, (req.params as { id: string }).id, { ...(given ? { hostConfig: given } : {}), since: arrivedAt(reply) });
    reply.code(204).send();
  });

  app.post('/containers/:id/stop', { schema: { querystring: S.stopQuery } }, async (req, reply) => {
    const q = req.query as Q;
    await stopContainer(ctx, (req.params as { id: string }).id, q.t !== undefined ? Number(q.t) : undefined, q.signal);
    reply.code(204).send();
  });

  app.post('/containers/:id/restart', { schema: { querystring: S.stopQuery } }, async (req, reply) => {
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

  app.post('/containers/:id/rename', { schema: { querystring: S.renameQuery } }, async (req, reply) => {
    const name = (req.query as Q).name;
    if (!name) throw invalidArgument('Neither old nor new names may be empty');
    await renameContainer(ctx, (req.params as { id: string }).id, name);
    reply.code(204).send();
  });

  app.post('/containers/:id/kill', { schema: { querystring: S.killQuery } }, async (req, reply) => {
    await killContainer(ctx, (req.params as { id: string }).id, (req.query as Q).signal);
    reply.code(204).send();
  });

  app.delete('/containers/:id', { schema: { querystring: S.removeQuery } }, async (req, reply) => {
    const q = req.query as Q;
    const id = (req.params as { id: string }).id;
    if (truthy(q.link)) await removeLink(ctx, id);
    else await removeContainer(ctx, id, { force: truthy(q.force), volumes: truthy(q.v) });
    reply.code(204).send();
  });

  // docker rm --link <parent>/<alias>: a link's name has a slash (Docker's route takes any name).
  app.delete('/containers/:parent/:alias', async (req, reply) => {
    const { parent, alias } = req.params as { parent: string; alias: string };
    if (!truthy((req.query as Q).link)) throw noSuchContainer(`${parent}/${alias}`);
    await removeLink(ctx, `${parent}/${alias}`);
    reply.code(204).send();
  });

  app.post('/containers/:id/resize', { schema: { querystring: S.resizeQuery } }, async (req, reply) => {
    const q = req.query as Q;
    await resizeContainer(ctx, (req.params as { id: string }).id, Number(q.h), Number(q.w));
    reply.code(200).send();
  });

  // A websocket attach comes through the server's 'upgrade' event; a plain GET is not one.
  app.get('/containers/:id/attach/ws', async (req) => {
    getContainer(ctx.views, (req.params as { id: string }).id);
    throw invalidArgument('not websocket protocol');
  });

  app.post('/containers/:id/attach', { schema: { querystring: S.attachQuery } }, async (req, reply) => {
    const q = req.query as Q;
    const id = (req.params as { id: string }).id;
    getContainer(ctx.views, id);
    reply.hijack();
    await attach(ctx, id, q, rawPeer(req.raw.socket, Buffer.alloc(0), false));
  });
}


const HOST_CONFIG_FIELDS = new Set(Object.keys((S.hostConfig as unknown as { properties: Record<string, unknown> }).properties));

/**
 * A host config given at start (API < 1.24), as dockerd's decoder reads it: the fields a
 * HostConfig has (others are dropped by Go's decoder, so never recorded); LxcConf, which no
 * runtime here can apply, is refused when it says anything.
 */
function startHostConfig(body: Record<string, unknown>): Partial<HostConfig> {
  const lxc = body.LxcConf;
  if (lxc !== undefined && lxc !== null && !(Array.isArray(lxc) && lxc.length === 0) && !(typeof lxc === 'object' && Object.keys(lxc).length === 0)) {
    throw invalidArgument('LxcConf: the lxc driver is gone (runc runs containers here); start without it');
  }
  return hostConfigFields(body);
}

/** The fields of a host config that HostConfig has (Go's decoder drops the others). */
function hostConfigFields(body: Record<string, unknown>): Partial<HostConfig> {
  return Object.fromEntries(Object.entries(body).filter(([k]) => HOST_CONFIG_FIELDS.has(k))) as Partial<HostConfig>;
}
