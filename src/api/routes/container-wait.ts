import type { FastifyInstance } from 'fastify';

import { waitContainer } from '../../engine/containers/wait-container';
import { toHttpError } from '../errors';
import type { Query } from '../query';
import * as S from '../schemas/containers';
import { apiBefore } from '../api-version';

import type { EngineDeps } from '../../engine/ports';

/** What container-wait uses of the engine. */
export type ContainerWaitRouteDeps = Pick<EngineDeps, 'journal' | 'views'>;
/** POST /containers/{id}/wait: headers at once, the exit status when the condition is met. */
export function containerWaitRoutes(app: FastifyInstance, ctx: ContainerWaitRouteDeps): void {
  app.post('/containers/:id/wait', { schema: { querystring: S.waitQuery } }, async (req, reply) => {
    const q = req.query as Query;
    // Before API 1.30 (dockerd's legacy behaviour): no condition, nothing sent until the
    // container stops (an error is an HTTP error), and the answer {"StatusCode"} alone, as
    // the documents of those versions show it.
    if (apiBefore(req, 1, 30)) {
      const code = await waitContainer(ctx, (req.params as { id: string }).id, 'not-running');
      return { StatusCode: code };
    }
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
}
