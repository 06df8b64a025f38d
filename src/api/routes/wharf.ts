import type { FastifyInstance } from 'fastify';

import { Readable } from 'node:stream';
import { rebuildAgainstLive, verifyJournal } from '../../engine/system/verify-journal';
import { auditFilters } from '../../engine/system/journal-reads';
import { buildHistory, exportJournal, journalAt, journalHistory } from '../../engine/system/journal-reads';
import { parseTimestamp } from '../../domain/time';
import { invalidArgument } from '../../domain/errors';

import type { EngineDeps } from '../../engine/ports';

/** What wharf uses of the engine. */
export type WharfRouteDeps = Pick<EngineDeps, 'journal' | 'views' | 'quarantine'>;
/**
 * Wharf's own API extension, under /wharf/v1 (never a Docker path): the journal's integrity
 * check and the quarantine of files the journal does not know.
 */
export function wharfRoutes(app: FastifyInstance, ctx: WharfRouteDeps): void {
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

  // Audit replay: the journal's records (JSON lines, streamed), what existed at a time, one
  // object's history with who asked, and every projection rebuilt from the journal alone.
  app.get('/wharf/v1/journal/export', async (req, reply) => {
    const q = req.query as { since?: string; until?: string; filters?: string };
    const filters = auditFilters(parseFilters(q.filters));
    const range = { sinceTime: q.since ? timeOf(q.since, 'since') : undefined, untilTime: q.until ? timeOf(q.until, 'until') : undefined };
    async function* lines(): AsyncIterable<string> {
      for await (const r of exportJournal(ctx, { ...range, filters })) yield `${JSON.stringify(r)}\n`;
    }
    reply.header('content-type', 'application/x-ndjson');
    return reply.send(Readable.from(lines()));
  });

  app.get('/wharf/v1/journal/at', async (req) => {
    const q = req.query as { time?: string };
    if (!q.time) throw invalidArgument('time is required');
    return journalAt(ctx, timeOf(q.time, 'time'));
  });

  app.get('/wharf/v1/journal/history', async (req) => journalHistory(ctx, (req.query as { object?: string }).object ?? ''));

  app.get('/wharf/v1/journal/rebuild', async () => rebuildAgainstLive(ctx));

  // The audit trail of Dockerfile builds: context, steps (cache hits), outcome, from the journal.
  app.get('/wharf/v1/builds', async () => buildHistory(ctx));

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

function timeOf(v: string, what: string): bigint {
  try {
    return parseTimestamp(v);
  } catch {
    throw invalidArgument(`invalid ${what}: ${v}`);
  }
}

function parseFilters(raw: string | undefined): Record<string, string[]> | undefined {
  if (!raw) return undefined;
  try {
    const f = JSON.parse(raw) as Record<string, string[] | Record<string, boolean>>;
    return Object.fromEntries(Object.entries(f).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : Object.keys(v)]));
  } catch {
    throw invalidArgument(`invalid filters: ${raw}`);
  }
}
