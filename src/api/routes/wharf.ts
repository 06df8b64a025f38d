import type { FastifyInstance } from 'fastify';
import type { EngineContext } from '../../engine/context';
import { verifyJournal } from '../../engine/verify-journal';
import { listBuilds } from '../../engine/build-audit';

/**
 * Wharf's own API extension, under /wharf/v1 (never a Docker path): the journal's integrity
 * check and the quarantine of files the journal does not know.
 */
export function wharfRoutes(app: FastifyInstance, ctx: EngineContext): void {
  app.get('/wharf/v1/journal/verify', async () => {
    const c = await verifyJournal(ctx);
    return {
      Intact: c.intact,
      Records: c.records,
      Legacy: c.legacy,
      Head: { Seq: c.head.seq.toString(), Hash: c.head.hash },
      Acknowledged: { Seq: c.acknowledged.seq.toString(), Hash: c.acknowledged.hash },
      FirstBad: c.firstBad?.toString() ?? null,
      Problem: c.problem ?? '',
      WriteBlock: c.writeBlock ?? '',
      ViewsMatch: c.viewsMatch,
      ViewsDifferences: c.viewsDifferences,
    };
  });

  // The audit trail of Dockerfile builds: context, steps (cache hits), outcome, from the journal.
  app.get('/wharf/v1/builds', async () => listBuilds(ctx));

  app.get('/wharf/v1/quarantine', async () => {
    const items = await ctx.quarantine.list();
    return { Dir: ctx.quarantine.dir, Items: items.map((i) => ({ Id: i.id, From: i.from, Reason: i.reason, Time: i.time, Size: i.size })) };
  });

  app.delete('/wharf/v1/quarantine', async (req) => {
    const q = req.query as { id?: string | string[] };
    const ids = q.id === undefined ? undefined : Array.isArray(q.id) ? q.id : [q.id];
    const r = await ctx.quarantine.prune(ids);
    return { Removed: r.removed.map((i) => i.id), SpaceReclaimed: r.bytes };
  });
}
