import type { FastifyInstance } from 'fastify';
import { invalidArgument, notFound, WharfError } from '../../domain/errors';

/** dockerd's words for a node that is in no swarm, as clients (docker-py, compose) expect them. */
const NOT_MANAGER = 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';
const notManager = () => new WharfError('unavailable', NOT_MANAGER);

/** ?version= of an update, parsed as dockerd parses it (strconv.ParseUint) before anything else. */
function checkVersion(q: unknown, what: string, goError: boolean): void {
  const v = (q as { version?: string }).version ?? '';
  if (/^\d+$/.test(v)) return;
  throw invalidArgument(goError ? `invalid ${what} version '${v}': strconv.ParseUint: parsing ${JSON.stringify(v)}: invalid syntax` : `invalid ${what} version`);
}

/**
 * The swarm, plugin and session endpoints of a daemon that is in no swarm, has no plugins and
 * no builder: answered as dockerd answers them there, so clients that call them anyway
 * (docker info, docker-py's fixtures, compose) get the replies they handle.
 */
export function swarmRoutes(app: FastifyInstance): void {
  // The node is in no swarm: leaving is refused with its own words, everything else as "not a manager".
  app.post('/swarm/leave', async () => {
    throw new WharfError('unavailable', 'This node is not part of a swarm');
  });
  // Joining or making a swarm is something wharfd cannot do.
  for (const p of ['/swarm/init', '/swarm/join']) {
    app.post(p, async () => {
      throw new WharfError('not-implemented', 'swarm mode is not supported by wharfd');
    });
  }
  // Everything else a manager would answer: "not a manager" (updates check ?version first).
  const managerOnly: ['get' | 'post' | 'delete', string][] = [
    ['get', '/swarm'],
    ['get', '/swarm/unlockkey'],
    ['post', '/swarm/unlock'],
    ['get', '/services/:id/logs'],
    ['get', '/tasks'],
    ['get', '/tasks/:id'],
    ['get', '/tasks/:id/logs'],
  ];
  for (const kind of ['nodes', 'services', 'secrets', 'configs']) {
    managerOnly.push(['get', `/${kind}`], ['get', `/${kind}/:id`], ['delete', `/${kind}/:id`]);
    if (kind !== 'nodes') managerOnly.push(['post', `/${kind}/create`]);
  }
  for (const [method, p] of managerOnly) {
    app[method](p, async () => {
      throw notManager();
    });
  }
  for (const [p, what, goError] of [
    ['/swarm/update', 'swarm', true],
    ['/nodes/:id/update', 'node', true],
    ['/services/:id/update', 'service', true],
    ['/secrets/:id/update', 'secret', false],
    ['/configs/:id/update', 'config', false],
  ] as const) {
    app.post(p, async (req) => {
      checkVersion(req.query, what, goError);
      throw notManager();
    });
  }

  // No managed plugins: an empty list, and none of any name.
  app.get('/plugins', async () => []);
  const noPlugin = (req: { params: unknown }) => {
    throw notFound(`plugin ${JSON.stringify((req.params as { name: string }).name)} not found`);
  };
  app.get('/plugins/:name/json', async (req) => noPlugin(req));
  app.delete('/plugins/:name', async (req) => noPlugin(req));
  for (const action of ['enable', 'disable', 'push', 'set', 'upgrade']) app.post(`/plugins/:name/${action}`, async (req) => noPlugin(req));
  for (const p of ['/plugins/pull', '/plugins/create']) {
    app.post(p, async () => {
      throw new WharfError('not-implemented', 'plugins are not supported by wharfd');
    });
  }
  app.get('/plugins/privileges', async () => {
    throw new WharfError('not-implemented', 'plugins are not supported by wharfd');
  });

  // Build sessions (BuildKit's file sync and auth): dockerd checks the upgrade first, as here;
  // wharfd has no builder for a session to serve.
  app.post('/session', async (req) => {
    throw sessionRefusal(req.headers.upgrade);
  });
}

/** POST /session, as a plain request or an upgrade (h2c): dockerd's checks of the protocol, then no builder to serve. */
export function sessionRefusal(proto: string | undefined): WharfError {
  if (!proto) return invalidArgument('no upgrade proto in request');
  if (proto !== 'h2c') return invalidArgument(`protocol ${proto} not supported`);
  return new WharfError('not-implemented', 'session support is not enabled: wharfd has no builder');
}
