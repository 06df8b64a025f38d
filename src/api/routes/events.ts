import type { FastifyInstance } from 'fastify';
import { invalidArgument } from '../../domain/errors';
import { timeQuery } from '../query';
import type { EngineContext } from '../../engine/context';
import { follow } from '../../journal/tail';
import { eventJson, matchesFilters, parseFilters, storedRecordFilter, toDockerEvent } from '../wire/event';
import * as S from '../schemas/system';

/** GET /events: history from the journal (--since), then live, as JSON lines. */
export function eventRoutes(app: FastifyInstance, ctx: EngineContext): void {
  app.get('/events', { schema: { querystring: S.eventsQuery } }, async (req, reply) => {
    const q = req.query as Record<string, string | undefined>;
    let filters;
    try {
      filters = parseFilters(q.filters);
    } catch {
      throw invalidArgument('invalid filter');
    }
    const sinceTime = q.since ? timeQuery(q.since) : undefined;
    const untilTime = q.until ? timeQuery(q.until) : undefined;
    const afterSeq = sinceTime === undefined ? ctx.journal.lastSeq : undefined;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    const ac = new AbortController();
    res.on('close', () => ac.abort());
    try {
      // Records that cannot make an event passing the filters are skipped before they are decoded.
      const accept = storedRecordFilter(filters);
      for await (const e of follow(ctx.journal, { afterSeq, sinceTime, untilTime, accept }, ac.signal)) {
        const ev = toDockerEvent(e);
        if (!ev || !matchesFilters(ev, filters)) continue;
        if (!res.write(`${eventJson(ev)}\n`)) {
          await new Promise<void>((r) => {
            res.once('drain', r);
            res.once('close', r);
          });
        }
        if (ac.signal.aborted) break;
      }
    } catch (err) {
      ctx.log.warn({ err }, 'events stream failed');
    }
    res.end();
  });
}
