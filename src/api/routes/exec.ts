import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { invalidArgument } from '../../domain/errors';

import { createExec, getExec, resizeExec, startExec, type ExecCreateBody, type ExecSession } from '../../engine/containers/exec-container';
import { readLogs } from '../../engine/containers/read-logs';
import { getContainer } from '../../engine/lookup';
import { decideExecStart } from '../../domain/exec';
import { rawErrorResponse } from '../errors';
import { plainTextErrors } from '../api-version';
import { frame, STDERR, STDOUT } from '../../wire/stream';
import { toDockerExec } from '../wire/exec';
import { execStdin, parseDetachKeys, StdinForwarder } from '../../engine/containers/attach-container';
import * as S from '../schemas/exec';
import { checkBody, EMPTY_BODY, jsonSyntaxMessage, tooDeep } from '../validation';
import { JSON_BODY_LIMIT } from '../limits';

import type { EngineDeps } from '../../engine/ports';

/** What exec uses of the engine. */
export type ExecRouteDeps = Pick<EngineDeps, 'journal' | 'views' | 'runtime' | 'containersDir' | 'hostLimits' | 'log' | 'locks'>;
interface ExecStartBody {
  Detach?: boolean;
  Tty?: boolean;
  ConsoleSize?: [number, number] | null;
}

type Q = Record<string, string | undefined>;
const idOf = (req: { params: unknown }) => (req.params as { id: string }).id;

/** docker exec: create a session, start it (attached through a hijacked connection, or detached), inspect, resize. */
export function execRoutes(app: FastifyInstance, ctx: ExecRouteDeps): void {
  app.post('/containers/:id/exec', { schema: { body: S.execCreateBody } }, async (req, reply) => {
    const body = (req.body ?? {}) as ExecCreateBody;
    if (typeof body !== 'object' || Array.isArray(body)) throw invalidArgument('invalid JSON: expected an object');
    const id = await createExec(ctx, idOf(req), body);
    reply.code(201).send({ Id: id });
  });

  app.get('/exec/:id/json', async (req) => toDockerExec(getExec(ctx, idOf(req))));

  app.post('/exec/:id/resize', { schema: { querystring: S.execResizeQuery } }, async (req, reply) => {
    const q = req.query as Q;
    await resizeExec(ctx, idOf(req), Number(q.h), Number(q.w));
    reply.code(200).send();
  });

  // Without "Upgrade: tcp": detached, or a plain response whose body is the stream.
  app.post('/exec/:id/start', { schema: { body: S.execStartBody } }, async (req, reply) => {
    const body = (req.body ?? {}) as ExecStartBody;
    const id = idOf(req);
    // Refused before the connection is taken over, so the refusal is an HTTP answer (409).
    checkExecStart(ctx, id);
    if (body.Detach) {
      await startExec(ctx, id, consoleSizeOf(body));
      return reply.code(200).send();
    }
    reply.hijack();
    const socket = reply.raw.socket as Socket;
    // A refusal that comes later (the container stopped meanwhile) is answered on the socket.
    await execAttach(ctx, id, body, socket, Buffer.alloc(0), false).catch((e) => {
      if (!socket.destroyed) socket.end(rawErrorResponse(e, plainTextErrors(req)));
    });
  });
}

/** POST /exec/{id}/start with "Upgrade: tcp": its JSON body comes first, then the client's stdin. */
export async function execStartUpgraded(ctx: ExecRouteDeps, id: string, req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
  const { body, rest } = await readBody(req, socket, head);
  const text = body.toString().trim();
  const deep = tooDeep(text);
  if (deep) throw invalidArgument(deep);
  let raw: unknown;
  try {
    // An empty body is Go's EOF, which the schema refuses.
    raw = text ? JSON.parse(text) : EMPTY_BODY;
  } catch (e) {
    throw invalidArgument(jsonSyntaxMessage(e as Error, text));
  }
  const parsed = checkBody<ExecStartBody>(S.execStartBody, raw) ?? {};
  checkExecStart(ctx, id);
  if (parsed.Detach) {
    await startExec(ctx, id, consoleSizeOf(parsed));
    socket.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  await execAttach(ctx, id, parsed, socket, rest, true);
}

/**
 * Start the session and stream it: output follows the session's log until it exits (frames
 * per stream unless it has a tty); the client's input goes to its stdin. A process that
 * cannot start is reported on the stream, as Docker does, and its exit code set (126/127).
 */
async function execAttach(ctx: ExecRouteDeps, id: string, body: ExecStartBody, socket: Socket, head: Buffer, upgraded: boolean): Promise<void> {
  const x = getExec(ctx, id);
  const detachKeys = parseDetachKeys(x.config.DetachKeys || 'ctrl-p,ctrl-q');
  // The stream's framing follows the start request's Tty, not the session's, as Docker's does:
  // raw with it (and then, as there, a session without a terminal has its stderr dropped), frames without.
  const tty = body.Tty === true;
  const ctype = tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream';
  const out = (stream: number, data: Buffer) => socket.write(tty ? data : frame(stream, data));
  const wanted = (stream: 'stdout' | 'stderr') => (stream === 'stdout' ? x.config.AttachStdout : x.config.AttachStderr && (!tty || x.config.Tty));
  // Listen to the client from the start: what it types before the process runs is kept.
  const ac = new AbortController();
  socket.on('close', () => ac.abort());
  socket.on('error', () => ac.abort());
  let started!: (ok: boolean) => void;
  const running = new Promise<boolean>((r) => (started = r));
  const input = x.config.AttachStdin
    ? new StdinForwarder(detachKeys, () => ac.abort(), async () => ((await running) ? execStdin(ctx, x.containerId, id) : undefined))
    : undefined;
  socket.on('data', (d: Buffer) => input?.push(d));
  socket.on('end', () => input?.end());
  if (head.length) input?.push(head);
  socket.resume();
  let session: ExecSession;
  try {
    session = await startExec(ctx, id, consoleSizeOf(body));
    started(true);
  } catch (e) {
    started(false);
    input?.close();
    if (getExec(ctx, id).status !== 'exited') throw e; // refused before anything ran: an HTTP error
    socket.write(upgraded ? upgradedHead(ctype) : okHead(ctype));
    out(STDOUT, Buffer.from(`${(e as Error).message}\r\n`));
    socket.end();
    return;
  }
  socket.write(upgraded ? upgradedHead(ctype) : okHead(ctype));
  try {
    for await (const e of readLogs(ctx, x.containerId, {
      file: session.logPath,
      follow: true,
      partial: true,
      live: () => ctx.views.execs.get(id)?.status === 'running',
      signal: ac.signal,
    })) {
      if (!wanted(e.stream)) continue;
      if (!out(e.stream === 'stdout' ? STDOUT : STDERR, e.data)) await new Promise((r) => socket.once('drain', r));
    }
  } catch (err) {
    ctx.log.warn({ err }, 'exec stream failed');
  } finally {
    input?.close();
  }
  if (!socket.destroyed) socket.end();
}

/** What startExec would refuse (unknown session, already run, container not running or paused), checked up front. */
function checkExecStart(ctx: ExecRouteDeps, id: string): void {
  const x = getExec(ctx, id);
  decideExecStart(x, getContainer(ctx.views, x.containerId));
}

const upgradedHead = (ctype: string) => `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${ctype}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`;
const okHead = (ctype: string) => `HTTP/1.1 200 OK\r\nContent-Type: ${ctype}\r\n\r\n`;

function consoleSizeOf(b: ExecStartBody): [number, number] | undefined {
  const s = b.ConsoleSize;
  return Array.isArray(s) && s.length === 2 && s[0] > 0 && s[1] > 0 ? [s[0], s[1]] : undefined;
}

/** How long an upgraded request's body may take to arrive. */
const BODY_TIMEOUT_MS = 10_000;

/** The request body of an upgraded request: Content-Length bytes from head, then the socket (bounded in time). */
function readBody(req: IncomingMessage, socket: Socket, head: Buffer): Promise<{ body: Buffer; rest: Buffer }> {
  const want = Number(req.headers['content-length'] ?? 0);
  // The body is JSON, held in memory: no larger than any other JSON body.
  if (!(want <= JSON_BODY_LIMIT)) return Promise.reject(invalidArgument('request body too large'));
  return new Promise((resolve, reject) => {
    let buf = head;
    const done = () => {
      if (buf.length < want) return false;
      clearTimeout(timer);
      socket.pause(); // the rest is the client's stdin: held until someone listens
      socket.off('data', onData);
      socket.off('end', onEnd);
      resolve({ body: buf.subarray(0, want), rest: buf.subarray(want) });
      return true;
    };
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      done();
    };
    const onEnd = () => {
      clearTimeout(timer);
      reject(invalidArgument('request body cut short'));
    };
    // A client that sends part of its body and stops gets an answer, not a connection held forever.
    const timer = setTimeout(() => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      reject(invalidArgument(`request body not received within ${BODY_TIMEOUT_MS / 1000} s`));
    }, BODY_TIMEOUT_MS);
    timer.unref();
    if (done()) return;
    socket.on('data', onData);
    socket.on('end', onEnd);
  });
}
