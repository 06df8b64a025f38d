import type { FastifyInstance } from 'fastify';
import { invalidArgument } from '../../domain/errors';
import { one, unixTimeQuery } from '../query';
import { followRecords, lastSeq } from '../../engine/system/journal-reads';
import { type DockerEvent, eventJson, matchesFilters, parseFilters, storedRecordFilter, toDockerEvent, toLiveDockerEvent } from '../wire/event';
import type { LiveEvent } from '../../engine/lib/live-events';
import * as S from '../schemas/system';
import { apiVersionOf } from '../api-version';
import { before, legacyEvent } from '../wire/legacy';

import type { EngineDeps } from '../../engine/ports';

/** What events uses of the engine. */
export type EventsRouteDeps = Pick<EngineDeps, 'journal' | 'log' | 'live'>;
const LAST_TIME = 2n ** 64n - 1n;

/** GET /events: history from the journal (--since), then live, as JSON lines, until --until. */
export function eventRoutes(app: FastifyInstance, ctx: EventsRouteDeps): void {
  app.get('/events', { schema: { querystring: S.eventsQuery } }, async (req, reply) => {
    const q = req.query as Record<string, string | undefined>;
    const since = unixTimeQuery(one(q.since));
    const until = unixTimeQuery(one(q.until));
    if (until !== undefined && since !== undefined && until < since) {
      throw invalidArgument(`\`since\` time (${one(q.since)}) cannot be after \`until\` time (${one(q.until)})`);
    }
    // As dockerd: both bounds take the event's own nanosecond (an event at exactly since or
    // until is sent); an until gives the history from the start even without a since; an
    // until of 0 or less bounds nothing but ends the stream with the history (dockerd's
    // `untilNanoUnix > 0` test); a since in the future sends the live events at once.
    const now = BigInt(Date.now()) * 1_000_000n;
    const untilTime = until === undefined ? undefined : until > 0n ? until : now;
    let sinceTime = since ?? (until !== undefined ? 0n : undefined);
    if (sinceTime !== undefined && sinceTime < 0n) sinceTime = 0n;
    if (sinceTime !== undefined && sinceTime > LAST_TIME) sinceTime = LAST_TIME; // the time index's keys are 64-bit
    // dockerd reads the filters after the times.
    let filters;
    try {
      filters = parseFilters(q.filters);
    } catch {
      throw invalidArgument('invalid filter');
    }
    const afterSeq = sinceTime === undefined ? lastSeq(ctx) : undefined;
    // Before API 1.22 an event was {status, id, from, time}, of containers and images only.
    const v = apiVersionOf(req.originalUrl ?? req.url);
    const legacy = !!v && before(v, 1, 22);
    const line = (ev: DockerEvent): string | undefined => {
      if (!legacy) return `${eventJson(ev)}\n`;
      const old = legacyEvent(ev as unknown as Record<string, unknown>);
      return old && `${JSON.stringify(old)}\n`;
    };
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    const ac = new AbortController();
    res.on('close', () => ac.abort());
    // Live-only events (attach, archive, health probe execs: never journal records) take their
    // place among the records: each is held until the records committed before it (up to its
    // afterSeq) were read, so a stream shows them in the order they happened.
    const held: LiveEvent[] = [];
    let readTo = -1n;
    const sendLive = (e: LiveEvent) => {
      if ((sinceTime !== undefined && e.time < sinceTime) || (untilTime !== undefined && e.time > untilTime) || res.writableEnded) return;
      const ev = toLiveDockerEvent(e);
      const text = matchesFilters(ev, filters) ? line(ev) : undefined;
      if (text) res.write(text);
    };
    const flushTo = (seq: bigint) => {
      if (seq > readTo) readTo = seq;
      while (held.length && held[0].afterSeq <= readTo) sendLive(held.shift()!);
    };
    const live = ctx.live.events$.subscribe((e) => {
      if (readTo >= e.afterSeq && !held.length) sendLive(e);
      else held.push(e);
    });
    try {
      // Records that cannot make an event passing the filters are skipped before they are decoded.
      const accept = storedRecordFilter(filters);
      for await (const e of followRecords(ctx, { afterSeq, sinceTime, untilTime, accept }, ac.signal, flushTo)) {
        flushTo(e.seq - 1n);
        const ev = toDockerEvent(e);
        const text = ev && matchesFilters(ev, filters) ? line(ev) : undefined;
        const more = text ? res.write(text) : true;
        flushTo(e.seq);
        if (!more) {
          await new Promise<void>((r) => {
            res.once('drain', r);
            res.once('close', r);
          });
        }
        if (ac.signal.aborted) break;
      }
    } catch (err) {
      ctx.log.warn({ err }, 'events stream failed');
    } finally {
      live.unsubscribe();
    }
    res.end();
  });
}
