import type { FastifyInstance } from 'fastify';
import { invalidArgument } from '../../domain/errors';
import { listFilter, noSuchVolume, volumeUsers } from '../../domain/volume';

import { createVolume } from '../../engine/volumes/create-volume';
import { pruneVolumes } from '../../engine/volumes/prune-volumes';
import { removeVolume } from '../../engine/volumes/remove-volume';
import { parseFilters } from '../wire/event';
import { toVolume } from '../wire/volume';
import * as S from '../schemas/volumes';
import { apiBefore } from '../api-version';
import { truthy } from '../query';

import type { EngineDeps } from '../../engine/ports';

/** What volumes uses of the engine. */
export type VolumesRouteDeps = Pick<EngineDeps, 'journal' | 'views' | 'volumes' | 'log' | 'locks'>;
type Q = Record<string, string | undefined>;

function filtersOf(q: Q): Record<string, string[]> {
  try {
    return parseFilters(q.filters);
  } catch {
    throw invalidArgument('invalid filter');
  }
}

export function volumeRoutes(app: FastifyInstance, ctx: VolumesRouteDeps): void {
  const wire = (name: string) => {
    const v = ctx.views.volumes.get(name);
    if (!v || v.status !== 'ready') throw noSuchVolume(name);
    return toVolume(v, ctx.volumes.dataDir(v.name));
  };

  app.get('/volumes', { schema: { querystring: S.volumeListQuery } }, async (req) => {
    const keep = listFilter(filtersOf(req.query as Q), (name) => volumeUsers(name, ctx.views.containers.values()).length > 0);
    const list = [...ctx.views.volumes.values()].filter((v) => v.status === 'ready' && keep(v));
    return { Volumes: list.map((v) => toVolume(v, ctx.volumes.dataDir(v.name))), Warnings: [] };
  });

  app.post('/volumes/create', { schema: { body: S.volumeCreateBody } }, async (req, reply) => {
    const body = (req.body ?? {}) as { Name?: string; Driver?: string; DriverOpts?: Record<string, string> | null; Labels?: Record<string, string> | null };
    if (typeof body !== 'object' || Array.isArray(body)) throw invalidArgument('invalid JSON: expected an object');
    const v = await createVolume(ctx, { name: body.Name, driver: body.Driver, labels: body.Labels, options: body.DriverOpts });
    reply.code(201);
    return wire(v.name);
  });

  app.post('/volumes/prune', { schema: { querystring: S.volumePruneQuery } }, async (req) => {
    const filters = filtersOf(req.query as Q);
    // Before API 1.42 prune took every unused volume, named ones too (as all=true does since).
    if (apiBefore(req, 1, 42)) filters.all = ['true'];
    return pruneVolumes(ctx, filters);
  });

  app.get('/volumes/:name', async (req) => wire((req.params as { name: string }).name));

  app.delete('/volumes/:name', { schema: { querystring: S.volumeRemoveQuery } }, async (req, reply) => {
    await removeVolume(ctx, (req.params as { name: string }).name, { force: truthy((req.query as Q).force) });
    reply.code(204).send();
  });
}
