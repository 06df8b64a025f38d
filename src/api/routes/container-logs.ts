import type { FastifyInstance } from 'fastify';
import { logConfigOf } from '../../domain/container-defaults';
import { invalidArgument, WharfError } from '../../domain/errors';
import { logAttributes } from '../../domain/log-attributes';
import { getContainer } from '../../engine/lookup';
import { readLogs } from '../../engine/containers/read-logs';
import { timeQuery, truthy, type Query } from '../query';
import { frame, STDERR, STDOUT } from '../../wire/stream';
import * as S from '../schemas/containers';

import type { EngineDeps } from '../../engine/ports';

/** What container-logs uses of the engine. */
export type ContainerLogsRouteDeps = Pick<EngineDeps, 'journal' | 'views' | 'runtime' | 'containersDir' | 'log' | 'locks'>;
/** GET /containers/{id}/logs: the log as frames (raw with a tty), optionally followed. */
export function containerLogRoutes(app: FastifyInstance, ctx: ContainerLogsRouteDeps): void {
  app.get('/containers/:id/logs', { schema: { querystring: S.logsQuery } }, async (req, reply) => {
    const q = req.query as Query;
    const c = getContainer(ctx.views, (req.params as { id: string }).id);
    const wantOut = truthy(q.stdout);
    const wantErr = truthy(q.stderr);
    if (!wantOut && !wantErr) throw invalidArgument('Bad parameters: you must choose at least one stream');
    // --log-driver none: output is not kept for reading, as with Docker.
    if (logConfigOf(c.hostConfig.LogConfig).Type === 'none') throw new WharfError('not-implemented', 'configured logging driver does not support reading');
    const tail = q.tail === undefined || q.tail === 'all' ? undefined : Number(q.tail);
    const sinceNanos = q.since && q.since !== '0' ? timeQuery(q.since) : undefined;
    const untilNanos = q.until && q.until !== '0' ? timeQuery(q.until) : undefined;
    const timestamps = truthy(q.timestamps);
    const logConfig = c.hostConfig.LogConfig as { Config?: Record<string, string> } | undefined;
    // --details: the log options' extra attributes and a space before each line.
    const details = truthy(q.details) ? Buffer.from(`${logAttributes(c.config.Labels, c.config.Env, logConfig?.Config)} `) : undefined;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'Content-Type': c.config.Tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream' });
    res.flushHeaders();
    const ac = new AbortController();
    res.on('close', () => ac.abort());
    try {
      for await (const e of readLogs(ctx, c.id, { follow: truthy(q.follow), tail, sinceNanos, untilNanos, signal: ac.signal })) {
        if ((e.stream === 'stdout' && !wantOut) || (e.stream === 'stderr' && !wantErr)) continue;
        const parts = [e.data];
        if (details) parts.unshift(details);
        if (timestamps) parts.unshift(Buffer.from(`${e.time} `));
        const data = parts.length === 1 ? e.data : Buffer.concat(parts);
        const ok = res.write(c.config.Tty ? data : frame(e.stream === 'stdout' ? STDOUT : STDERR, data));
        if (!ok) await new Promise((r) => res.once('drain', r));
      }
    } catch (err) {
      ctx.log.warn({ err }, 'logs stream failed');
    }
    res.end();
  });
}
