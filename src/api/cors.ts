import type { FastifyInstance } from 'fastify';

/** dockerd's CORS middleware: the headers and methods it allows. */
export const CORS_ALLOW_HEADERS = 'Origin, X-Requested-With, Content-Type, Accept, X-Registry-Auth';
export const CORS_ALLOW_METHODS = 'HEAD, GET, POST, DELETE, PUT, OPTIONS';

/**
 * --api-cors-header (or --api-enable-cors, "*"): every answer carries the CORS headers, as
 * dockerd's middleware adds them; without it, none. An OPTIONS request (a browser's preflight)
 * is answered 200 on any path, as dockerd's router answers it.
 */
export function corsRoutes(app: FastifyInstance, corsHeaders: string | undefined): void {
  if (corsHeaders !== undefined) {
    const origin = corsHeaders || '*';
    app.addHook('onRequest', async (_req, reply) => {
      reply.raw.setHeader('Access-Control-Allow-Origin', origin);
      reply.raw.setHeader('Access-Control-Allow-Headers', CORS_ALLOW_HEADERS);
      reply.raw.setHeader('Access-Control-Allow-Methods', CORS_ALLOW_METHODS);
    });
  }
  app.options('/*', async (_req, reply) => reply.code(200).send());
}
