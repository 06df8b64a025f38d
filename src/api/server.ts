import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { invalidArgument, WharfError } from '../domain/errors';

import { rawErrorResponse, toHttpError } from './errors';
import { attach, rawPeer, websocketPeer } from './routes/attach';
import { handshakeError } from './websocket';
import { containerRoutes } from './routes/containers';
import { containerLogRoutes } from './routes/container-logs';
import { containerWaitRoutes } from './routes/container-wait';
import { containerCommandRoutes } from './routes/container-commands';
import { eventRoutes } from './routes/events';
import { execRoutes, execStartUpgraded } from './routes/exec';
import { imageRoutes } from './routes/images';
import { buildRoutes } from './routes/build';
import { networkRoutes } from './routes/networks';
import { systemRoutes } from './routes/system';
import { volumeRoutes } from './routes/volumes';
import { sessionRefusal, swarmRoutes } from './routes/swarm';
import { wharfRoutes } from './routes/wharf';
import type { SystemInfo } from './system-info';
import { EMPTY_BODY, jsonSyntaxMessage, parseQuery, tooDeep, validatorCompiler } from './validation';
import { JSON_BODY_LIMIT } from './limits';
import { apiBefore, apiVersionOf, plainTextError, plainTextErrors, VERSION_PREFIX } from './api-version';
import { peerCredentials } from './peer-credentials';
import { runAsClient, type RequestActor } from '../journal/actor';
import { corsRoutes } from './cors';

/** How the daemon was told to serve the API (beyond the engine). */
export interface ServerOptions {
  /** --api-cors-header / --api-enable-cors: Access-Control-Allow-Origin on every answer. */
  corsHeaders?: string;
}

import type { EngineDeps } from '../engine/ports';

/** What server uses of the engine. */
export type ServerDeps = Pick<EngineDeps, 'journal' | 'views' | 'runtime' | 'storage' | 'images' | 'volumes' | 'containersDir' | 'buildsDir' | 'hostLimits' | 'log' | 'locks' | 'network' | 'netDefaults' | 'bootTime' | 'dns' | 'portProxy' | 'restarts' | 'quarantine' | 'healthLogs' | 'logDefaults' | 'registry' | 'live'>;
/** Who sent a request: its socket's peer credentials and its User-Agent (for the journal's meta.by). */
async function requestActor(socket: Socket, userAgent: string | string[] | undefined): Promise<RequestActor> {
  const cred = await peerCredentials(socket);
  const ua = Array.isArray(userAgent) ? userAgent[0] : userAgent;
  return { ...(cred ?? {}), ...(ua ? { userAgent: ua.slice(0, 256) } : {}) };
}


/** Build the Docker Engine API on fastify. Something else calls listen() (tests use inject). */
export function buildServer(ctx: ServerDeps, info: SystemInfo, options: ServerOptions = {}): FastifyInstance {
  const app = Fastify({
    // Requests are logged at debug level: -D shows them.
    loggerInstance: ctx.log.child({ component: 'api' }, { level: info.debug ? 'debug' : 'warn' }) as unknown as FastifyBaseLogger,
    bodyLimit: JSON_BODY_LIMIT,
    // Streams (events, logs -f, attach) end with the daemon; their clients reconnect.
    forceCloseConnections: true,
    rewriteUrl: (req) => (req.url ?? '/').replace(VERSION_PREFIX, ''),
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 1000, querystringParser: parseQuery },
  });
  // Every route's body and query are checked against api/schemas/ before it runs.
  app.setValidatorCompiler(validatorCompiler);

  // Bodies other than JSON (tar archives, sent as text/plain by the docker CLI) are streams
  // that their route reads itself.
  app.removeAllContentTypeParsers();
  const parseJson = (text: string): unknown => {
    const t = text.trim();
    if (!t) return EMPTY_BODY;
    // Nesting is bounded before parsing, as Go's decoder bounds it: a deep document costs a lot to hold.
    const deep = tooDeep(t);
    if (deep) throw invalidArgument(deep);
    try {
      return JSON.parse(t);
    } catch (e) {
      throw invalidArgument(jsonSyntaxMessage(e as Error, t));
    }
  };
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: JSON_BODY_LIMIT }, (_req, body, done) => {
    try {
      done(null, parseJson(String(body)));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
  app.addContentTypeParser('*', (req, payload, done) => {
    // A route that takes JSON: with no Content-Type the body is read as JSON, with another
    // one it is refused (as dockerd's CheckForJSON does).
    if (!req.routeOptions.schema?.body) return done(null, undefined);
    const ct = req.headers['content-type'];
    // start reads a body only past 7 bytes (dockerd's test: "a non-nil json object is at least 7 characters").
    const len = req.headers['content-length'];
    if ((req.routeOptions.config as { smallBodyIgnored?: boolean }).smallBodyIgnored && (len !== undefined ? Number(len) <= 7 : req.headers['transfer-encoding'] === undefined)) return done(null, undefined);
    // Docker 0.7's client marked a POST without a body "plain/text": an empty body is no body there.
    if (ct && apiBefore(req, 1, 12) && req.headers['content-length'] === '0') return done(null, undefined);
    if (ct) return done(invalidArgument(`Content-Type specified (${ct}) must be 'application/json'`), undefined);
    readLimited(payload, JSON_BODY_LIMIT).then(
      (text) => {
        try {
          done(null, parseJson(text));
        } catch (e) {
          done(e as Error, undefined);
        }
      },
      (e: Error) => done(e, undefined),
    );
  });

  // A request with no body at all reaches validation as one with an empty body: Go reads both as EOF.
  app.addHook('preValidation', async (req) => {
    if (req.body === undefined && req.routeOptions.schema?.body) req.body = EMPTY_BODY;
  });

  const [maxMajor, maxMinor] = info.apiVersion.split('.').map(Number);
  const [minMajor, minMinor] = info.minApiVersion.split('.').map(Number);
  // Who asked: read before anything else (once per connection), and made the async context of
  // the handler (preHandler runs it), so every record the request appends carries it.
  const actors = new WeakMap<object, RequestActor>();
  app.addHook('onRequest', async (req) => {
    actors.set(req, await requestActor(req.raw.socket, req.headers['user-agent']));
  });
  app.addHook('preHandler', (req, _reply, done) => {
    const actor = actors.get(req);
    if (actor) runAsClient(actor, done);
    else done();
  });
  app.addHook('onRequest', async (req, reply) => {
    reply.raw.setHeader('Api-Version', info.apiVersion);
    reply.raw.setHeader('Docker-Experimental', 'false');
    reply.raw.setHeader('Ostype', 'linux');
    reply.raw.setHeader('Server', `Wharf/${info.version} (linux)`);
    const v = apiVersionOf(req.originalUrl ?? req.url);
    if (v) {
      const [maj, min] = v;
      if (maj < minMajor || (maj === minMajor && min < minMinor)) {
        throw invalidArgument(`client version ${maj}.${min} is too old. Minimum supported API version is ${info.minApiVersion}, please upgrade your client to a newer version`);
      }
      if (maj > maxMajor || (maj === maxMajor && min > maxMinor)) {
        throw invalidArgument(`client version ${maj}.${min} is too new. Maximum supported API version is ${info.apiVersion}`);
      }
    }
  });

  // Docker answers "application/json" with no charset, and the docker CLI parses error bodies
  // only when the type is exactly that.
  app.addHook('onSend', async (_req, reply, payload) => {
    const ct = reply.getHeader('content-type');
    if (typeof ct === 'string' && ct.startsWith('application/json;')) reply.header('content-type', 'application/json');
    return payload;
  });

  app.setErrorHandler((err, req, reply) => {
    const { status, message } = toHttpError(err);
    if (status >= 500) req.log.error({ err, url: req.url }, 'request failed');
    else req.log.debug({ url: req.url, status, message }, 'request refused');
    if (status === 304) return reply.code(304).send();
    if (plainTextErrors(req)) return plainTextError(reply, status, message);
    return reply.code(status).send({ message });
  });
  // dockerd's words for a route it does not have (the debug log names the request).
  app.setNotFoundHandler((req, reply) => {
    req.log.debug({ method: req.method, url: req.url }, 'no such route');
    if (plainTextErrors(req)) return plainTextError(reply, 404, 'page not found');
    reply.code(404).send({ message: 'page not found' });
  });

  corsRoutes(app, options.corsHeaders);
  systemRoutes(app, ctx, info);
  containerRoutes(app, ctx);
  containerLogRoutes(app, ctx);
  containerWaitRoutes(app, ctx);
  containerCommandRoutes(app, ctx);
  imageRoutes(app, ctx);
  buildRoutes(app, ctx);
  networkRoutes(app, ctx);
  eventRoutes(app, ctx);
  execRoutes(app, ctx);
  volumeRoutes(app, ctx);
  wharfRoutes(app, ctx);
  swarmRoutes(app);

  // Hijacked endpoints: a client asking to upgrade the connection ("Upgrade: tcp") reaches
  // node's 'upgrade' event, not the router.
  // Upgraded connections are no longer the HTTP server's to close: end them when the app closes.
  const upgraded = new Set<Socket>();
  app.addHook('preClose', async () => {
    for (const s of upgraded) s.destroy();
  });
  app.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    // The connection ends with the answer: the client is told so (Connection: close) and does not reuse it.
    // Handled at once (the socket's first bytes must not wait): the credentials join the actor
    // as soon as they are read, before any record the exchange appends with the addon.
    const actor: RequestActor = {};
    void requestActor(socket, req.headers['user-agent']).then((a) => Object.assign(actor, a));
    runAsClient(actor, () => handleUpgrade(ctx, req, socket, head)).catch((e) => socket.end(rawErrorResponse(e, plainTextErrors({ url: req.url ?? '/' }))));
  });
  return app;
}

/** A request body as text, refused past limit bytes. */
function readLimited(payload: NodeJS.ReadableStream, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    payload.on('data', (d: Buffer) => {
      size += d.length;
      if (size > limit) {
        payload.removeAllListeners('data');
        payload.resume();
        reject(Object.assign(new Error('Request body is too large'), { statusCode: 413 }));
        return;
      }
      chunks.push(d);
    });
    payload.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    payload.on('error', reject);
  });
}

async function handleUpgrade(ctx: ServerDeps, req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
  const url = new URL((req.url ?? '/').replace(VERSION_PREFIX, ''), 'http://wharf');
  const m = /^\/containers\/([^/]+)\/attach$/.exec(url.pathname);
  if (req.method === 'POST' && m) {
    const q = Object.fromEntries(url.searchParams.entries());
    await attach(ctx, decodeURIComponent(m[1]), q, rawPeer(socket, head, true));
    return;
  }
  const ws = /^\/containers\/([^/]+)\/attach\/ws$/.exec(url.pathname);
  if (req.method === 'GET' && ws) {
    const bad = handshakeError(req);
    if (bad) {
      socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: ${bad.length}\r\n\r\n${bad}`);
      return;
    }
    const q = Object.fromEntries(url.searchParams.entries());
    // Before API 1.42 the websocket always carried stdout and stderr, and never stdin.
    const [maj, min] = apiVersionOf(req.url ?? '/') ?? [99, 99];
    if (maj === 1 && min < 42) Object.assign(q, { stdin: '0', stdout: '1', stderr: '1' });
    await attach(ctx, decodeURIComponent(ws[1]), q, websocketPeer(req, socket, head));
    return;
  }
  const x = /^\/exec\/([^/]+)\/start$/.exec(url.pathname);
  if (req.method === 'POST' && x) {
    await execStartUpgraded(ctx, decodeURIComponent(x[1]), req, socket, head);
    return;
  }
  if (req.method === 'POST' && url.pathname === '/session') throw sessionRefusal(req.headers.upgrade);
  throw new WharfError('not-found', 'page not found');
}
