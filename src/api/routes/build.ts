import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { many, one, truthy } from '../query';
import { invalidArgument } from '../../domain/errors';
import { parseReference } from '../../domain/reference';

import { buildImage, BuildStepError, buildTags, type BuildRequest } from '../../engine/images/build-image';
import { pruneBuildCache } from '../../engine/images/prune-build-cache';
import { receiveContext } from '../../build/context';
import type { Credentials } from '../../registry/auth';
import { toHttpError } from '../errors';
import { ProgressWriter, type JsonMessage } from '../wire/progress';
import * as S from '../schemas/build';

import type { EngineDeps } from '../../engine/ports';

/** What build uses of the engine. */
export type BuildRouteDeps = Pick<EngineDeps, 'journal' | 'views' | 'runtime' | 'storage' | 'images' | 'volumes' | 'containersDir' | 'buildsDir' | 'hostLimits' | 'log' | 'locks' | 'network' | 'netDefaults' | 'bootTime' | 'portProxy' | 'restarts' | 'quarantine' | 'logDefaults' | 'registry'>;
type Q = Record<string, string | string[] | undefined>;
const flag = (v: string | undefined, dflt = false) => (v === undefined || v === '' ? dflt : truthy(v));

export function buildRoutes(app: FastifyInstance, ctx: BuildRouteDeps): void {
  // docker build (the classic builder's API): the context is the body, a tar (or nothing with remote=).
  app.post('/build', { schema: { querystring: S.buildQuery } }, async (req, reply) => {
    // -t repeats (a tag each); the shared query parser keeps a key's first value, as Go's r.Form.Get.
    const q: Q = { ...(req.query as Q), t: new URLSearchParams(req.raw.url?.split('?')[1] ?? '').getAll('t') };
    const options = buildOptions(q, req.headers['x-registry-config']);
    const quiet = flag(one(q.q));
    const hash = createHash('sha256');
    const body = req.raw.pipe(
      new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          cb(null, chunk);
        },
      }),
    );
    const context = await receiveContext(ctx.buildsDir, body, { dockerfile: one(q.dockerfile) || undefined, remote: one(q.remote) || undefined });
    const res = reply.raw;
    const begin = () => {
      reply.hijack();
      res.writeHead(200, { 'Content-Type': 'application/json' });
    };
    const real = new ProgressWriter(res, begin);
    // -q: the build's messages are held back; success sends the id alone, a failure sends
    // them all and then the error (as Docker does, so the CLI can show what went wrong).
    const held: JsonMessage[] = [];
    const out = quiet ? heldWriter(held) : real;
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableEnded) gone.abort();
    });
    try {
      const id = await buildImage(ctx, { ...options, context, contextDigest: `sha256:${hash.digest('hex')}`, signal: gone.signal }, out);
      if (quiet) real.send({ stream: `${id}\n` });
    } catch (e) {
      if (!out.started) throw e;
      for (const m of held) real.send(m);
      const { message } = toHttpError(e);
      const code = e instanceof BuildStepError ? e.code : undefined;
      real.send({ errorDetail: { ...(code !== undefined ? { code } : {}), message }, error: message });
    } finally {
      await context.cleanup().catch((e: Error) => req.log.warn({ err: e.message }, 'cannot remove a build context'));
    }
    if (!real.started) begin();
    res.end();
  });

  app.post('/build/prune', { schema: { querystring: S.buildPruneQuery } }, async () => pruneBuildCache(ctx));

  // The classic builder has no sessions or cancellable build ids: these are BuildKit's.
  app.post('/build/cancel', async () => {
    throw invalidArgument('build cancel is not supported by the classic builder');
  });
}

/** Everything of the query checked and read before the body is: a bad option costs no upload. */
function buildOptions(q: Q, registryConfig: string | string[] | undefined): Omit<BuildRequest, 'context' | 'contextDigest'> {
  if (flag(one(q.squash))) throw invalidArgument('squash is only supported with experimental mode');
  if (one(q.version) === '2') throw invalidArgument('BuildKit is not supported by this daemon: use the classic builder (version=1)');
  if (one(q.outputs)) throw invalidArgument('outputs are only supported with BuildKit');
  const platform = one(q.platform);
  if (platform && !/^linux(\/amd64)?$/.test(platform)) throw invalidArgument(`"${platform}": unsupported platform: this daemon builds linux/amd64`);
  const isolation = one(q.isolation);
  if (isolation && isolation !== 'default') throw invalidArgument(`Unsupported isolation: "${isolation}"`);
  const int = (k: string) => {
    const v = one(q[k]);
    return v ? Number(v) : 0;
  };
  const hostConfig: Record<string, unknown> = { NetworkMode: one(q.networkmode) || 'default' };
  const limits: [string, unknown][] = [
    ['Memory', int('memory')],
    ['MemorySwap', int('memswap')],
    ['CpuShares', int('cpushares')],
    ['CpuPeriod', int('cpuperiod')],
    ['CpuQuota', int('cpuquota')],
    ['ShmSize', int('shmsize')],
    ['CpusetCpus', one(q.cpusetcpus)],
    ['CpusetMems', one(q.cpusetmems)],
    ['CgroupParent', one(q.cgroupparent)],
    ['ExtraHosts', many(q.extrahosts).length ? many(q.extrahosts) : undefined],
    ['Ulimits', jsonOf<unknown[] | null>(q.ulimits, 'ulimits') ?? undefined],
  ];
  for (const [k, v] of limits) if (v) hostConfig[k] = v;
  return {
    remote: one(q.remote) || undefined,
    tags: buildTags(many(q.t).filter(Boolean)),
    buildArgs: jsonOf<Record<string, string | null>>(q.buildargs, 'build args') ?? {},
    labels: jsonOf<Record<string, string>>(q.labels, 'labels') ?? {},
    target: one(q.target) || undefined,
    noCache: flag(one(q.nocache)),
    rm: flag(one(q.rm), true),
    forceRm: flag(one(q.forcerm)),
    pull: flag(one(q.pull)),
    cacheFrom: jsonOf<string[]>(q.cachefrom, 'cache from') ?? [],
    hostConfig,
    credsFor: registryCreds(registryConfig),
  };
}

/** A writer that keeps the messages (for -q); started once the build said anything. */
function heldWriter(held: JsonMessage[]): ProgressWriter {
  return {
    send: (m: JsonMessage) => void held.push(m),
    get started() {
      return held.length > 0;
    },
    get gone() {
      return false;
    },
  } as unknown as ProgressWriter;
}

/** A JSON query value (buildargs, labels, cachefrom, ulimits): Docker's message when it is not. */
function jsonOf<T>(v: string | string[] | undefined, what: string): T | undefined {
  const s = one(v);
  if (!s) return undefined;
  try {
    return JSON.parse(s) as T;
  } catch {
    throw invalidArgument(`error reading ${what}: invalid character in JSON`);
  }
}

/** X-Registry-Config: base64 JSON of credentials by registry, for the FROM pulls. */
function registryCreds(header: string | string[] | undefined): (image: string) => Credentials | undefined {
  const h = one(header);
  let byHost: Record<string, Credentials & { auth?: string }> = {};
  if (h) {
    try {
      byHost = JSON.parse(Buffer.from(h.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8')) as typeof byHost;
    } catch {
      byHost = {};
    }
  }
  return (image) => {
    let domain: string;
    try {
      domain = parseReference(image).domain;
    } catch {
      return undefined;
    }
    const keys = domain === 'docker.io' ? ['https://index.docker.io/v1/', 'docker.io', 'index.docker.io'] : [domain, `https://${domain}`, `http://${domain}`];
    for (const k of keys) {
      const c = byHost[k];
      if (!c) continue;
      if (!c.username && c.auth) {
        const plain = Buffer.from(c.auth, 'base64').toString('utf8');
        const i = plain.indexOf(':');
        if (i > 0) return { ...c, username: plain.slice(0, i), password: plain.slice(i + 1) };
      }
      return c;
    }
    return undefined;
  };
}
