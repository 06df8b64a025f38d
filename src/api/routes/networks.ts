import type { FastifyInstance } from 'fastify';
import { invalidArgument } from '../../domain/errors';
import type { CreateNetworkRequest } from '../../domain/user-network';
import { attachmentsOf } from '../../engine/networks/container-network';
import { connectNetwork, disconnectNetwork, type ConnectRequest } from '../../engine/networks/connect-network';

import { createNetwork } from '../../engine/networks/create-network';
import { getNetwork, networkEntries, type NetworkEntry } from '../../engine/networks/networks';
import { labelsMatch, pruneNetworks, removeNetwork } from '../../engine/networks/remove-network';
import type { Query } from '../query';
import { parseFilters } from '../wire/event';
import { toNetwork } from '../wire/network';
import * as S from '../schemas/networks';

import type { EngineDeps } from '../../engine/ports';

/** What networks uses of the engine. */
export type NetworksRouteDeps = Pick<EngineDeps, 'journal' | 'views' | 'containersDir' | 'log' | 'locks' | 'network' | 'netDefaults' | 'bootTime' | 'dns' | 'portProxy'>;
const FILTERS = new Set(['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type']);

function filtersOf(q: Query): Record<string, string[]> {
  try {
    return parseFilters(q.filters);
  } catch {
    throw invalidArgument('invalid filter');
  }
}

/** /networks: list, inspect, create, remove, prune, connect, disconnect. */
export function networkRoutes(app: FastifyInstance, ctx: NetworksRouteDeps): void {
  const inUse = (n: NetworkEntry) => [...ctx.views.containers.values()].some((c) => attachmentsOf(c).some((a) => a.networkId === n.id));

  app.get('/networks', { schema: { querystring: S.networkListQuery } }, async (req) => {
    const f = filtersOf(req.query as Query);
    for (const k of Object.keys(f)) if (!FILTERS.has(k)) throw invalidArgument(`invalid filter '${k}'`);
    for (const t of f.type ?? []) if (t !== 'custom' && t !== 'builtin') throw invalidArgument(`invalid filter: 'type'='${t}'`);
    const dangling = f.dangling?.[0];
    if (dangling !== undefined && !['true', 'false', '1', '0'].includes(dangling)) throw invalidArgument(`invalid filter 'dangling=${dangling}'`);
    return networkEntries(ctx)
      .filter((n) => !f.name?.length || f.name.some((x) => n.name.includes(x)))
      .filter((n) => !f.id?.length || f.id.some((x) => n.id.includes(x)))
      .filter((n) => !f.driver?.length || f.driver.includes(n.driver))
      .filter((n) => !f.type?.length || f.type.includes(n.predefined ? 'builtin' : 'custom'))
      .filter((n) => !f.scope?.length || f.scope.includes('local'))
      .filter((n) => labelsMatch(n.labels, f.label ?? []))
      .filter((n) => dangling === undefined || ((dangling === 'true' || dangling === '1') === (!n.predefined && !inUse(n))))
      .map((n) => toNetwork(n));
  });

  // A name may hold a slash ("a/b"), which the docker CLI sends as is: the rest of the path names it.
  app.get('/networks/*', async (req) => {
    const n = getNetwork(ctx, (req.params as { '*': string })['*']);
    return toNetwork(n, [...ctx.views.containers.values()]);
  });

  app.post('/networks/create', { schema: { body: S.networkCreateBody } }, async (req, reply) => {
    const r = await createNetwork(ctx, (req.body ?? {}) as CreateNetworkRequest);
    reply.code(201);
    return r;
  });

  app.delete('/networks/*', async (req, reply) => {
    await removeNetwork(ctx, (req.params as { '*': string })['*']);
    reply.code(204).send();
  });

  app.post('/networks/prune', { schema: { querystring: S.networkPruneQuery } }, async (req) => {
    const names = await pruneNetworks(ctx, filtersOf(req.query as Query));
    return { NetworksDeleted: names };
  });

  app.post('/networks/:id/connect', { schema: { body: S.networkConnectBody } }, async (req, reply) => {
    await connectNetwork(ctx, (req.params as { id: string }).id, { Container: '', ...(req.body as ConnectRequest | undefined) });
    reply.code(200).send();
  });

  app.post('/networks/:id/disconnect', { schema: { body: S.networkDisconnectBody } }, async (req, reply) => {
    await disconnectNetwork(ctx, (req.params as { id: string }).id, { Container: '', ...(req.body as { Container: string; Force?: boolean } | undefined) });
    reply.code(200).send();
  });
}
