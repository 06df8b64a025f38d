import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import type { EngineDeps } from '../engine/ports';
import { KeyedLock } from '../engine/lib/keyed-lock';
import { LiveEvents } from '../engine/lib/live-events';
import { RestartTimers } from '../engine/supervisors/restart-timers';
import { MemoryJournal } from '../journal/memory-journal';
import { Views } from '../projections/views';
import { DEFAULT_REGISTRY_OPTIONS } from '../registry/client';
import { buildServer } from './server';

// The API's error paths over a faked engine: a journal in memory with a few facts, the views
// that follow it, and every host-facing dependency (runc, overlay mounts, image files,
// volumes...) a stand-in that fails the test if a route reaches it. So the answer to each bad
// request (status and Docker's message) is checked without runc or a spawned CLI, and a
// request the edge or a decision refuses is shown never to touch the host.

/** A dependency no error path may use: any use fails, naming it. */
function untouchable<T extends object>(name: string): T {
  return new Proxy({} as T, {
    get: (_t, k) => {
      if (k === 'then' || typeof k === 'symbol') return undefined; // not a promise; not inspected
      throw new Error(`an error path reached ${name}.${String(k)}`);
    },
  });
}

const IMAGE = `sha256:${'a'.repeat(64)}`;
const CREATED = 'c'.repeat(64);
const OTHER = 'd'.repeat(64);
const NETWORK = 'e'.repeat(64);

let app: FastifyInstance;
let dir: string;

async function seed(journal: MemoryJournal): Promise<void> {
  const config = { Hostname: 'cccccccccccc', Domainname: '', User: '', AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false, OpenStdin: false, StdinOnce: false, Env: [], Cmd: ['true'], Image: 'busybox', Volumes: null, WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: {} };
  const hostConfig = { NetworkMode: 'none', RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, AutoRemove: false, Binds: null, LogConfig: { Type: 'json-file', Config: {} } };
  await journal.append([
    { type: 'image.imported', data: { id: IMAGE, created: '2026-01-01T00:00:00Z', layers: [`sha256:${'b'.repeat(64)}`], size: 1024, config: { Cmd: ['sh'] } as never, comment: '', history: [], source: '-' } },
    { type: 'image.tagged', data: { id: IMAGE, ref: 'busybox:latest' } },
  ]);
  for (const [id, name] of [[CREATED, 'made'], [OTHER, 'taken']]) {
    await journal.append([{ type: 'container.created', data: { id, name, image: 'busybox', imageId: IMAGE, created: '2026-01-01T00:00:01Z', path: 'true', args: [], config: { ...config, Hostname: id.slice(0, 12) } as never, hostConfig: hostConfig as never } }], { name, image: 'busybox' });
  }
  await journal.append([{ type: 'volume.created', data: { name: 'data', driver: 'local', created: '2026-01-01T00:00:02Z', labels: {}, options: {} } as never }]);
  await journal.append([{ type: 'network.created', data: { id: NETWORK, name: 'net', driver: 'bridge', created: '2026-01-01T00:00:03Z', bridge: 'wrt0', subnet: '10.250.0.0/24', gateway: '10.250.0.1', internal: false, attachable: false, labels: {}, options: {} } }]);
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-routes-'));
  const journal = new MemoryJournal();
  await journal.open();
  const views = new Views();
  views.follow(journal);
  await seed(journal);
  const ctx: EngineDeps = {
    journal,
    views,
    runtime: untouchable('runtime'),
    storage: untouchable('storage'),
    images: untouchable('images'),
    volumes: untouchable('volumes'),
    containersDir: path.join(dir, 'containers'),
    buildsDir: path.join(dir, 'builds'),
    healthLogs: untouchable('healthLogs'),
    hostLimits: { hard: {}, caps: [] },
    log: pino({ level: 'silent' }),
    locks: new KeyedLock(),
    restarts: new RestartTimers(),
    netDefaults: { mtu: 1500, defaultHostIp: '' },
    bootTime: '2026-01-01T00:00:00Z',
    live: new LiveEvents(),
    quarantine: untouchable('quarantine'),
    registry: DEFAULT_REGISTRY_OPTIONS,
  };
  const info = { version: '0.1.0', apiVersion: '1.50', minApiVersion: '1.9', dataRoot: dir, kernelVersion: '6', operatingSystem: 'test', hostname: 'h', ncpu: 1, memTotal: 1, debug: false, id: 'X' };
  app = buildServer(ctx, info);
  await app.ready();
});

after(async () => {
  await app?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

type Case = [method: 'GET' | 'POST' | 'DELETE', url: string, body: unknown, status: number, message: string | RegExp];

/** A raw body (a string) is sent as is: malformed JSON the clients would never send. */
async function check([method, url, body, status, message]: Case): Promise<void> {
  const r = await app.inject({
    method,
    url,
    ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  assert.equal(r.statusCode, status, `${method} ${url}: ${r.statusCode} ${r.body}`);
  if (status === 304) return;
  // API < 1.24: dockerd's plain-text errors (the message and a newline); a bare 404 has no body.
  const plain = String(r.headers['content-type'] ?? '').startsWith('text/plain');
  if (plain) assert.match(r.body, /\n$/, `${method} ${url}: a plain-text error ends with a newline`);
  const got = plain || r.body === '' ? r.body.replace(/\n$/, '') : (JSON.parse(r.body) as { message: string }).message;
  if (typeof message === 'string') assert.equal(got, message, `${method} ${url}`);
  else assert.match(got, message, `${method} ${url}`);
}

const CASES: Record<string, Case[]> = {
  'unknown objects: 404 with Docker\'s words': [
    ['GET', '/containers/nope/json', undefined, 404, 'No such container: nope'],
    ['POST', '/containers/nope/start', undefined, 404, 'No such container: nope'],
    ['POST', '/containers/nope/stop', undefined, 404, 'No such container: nope'],
    ['POST', '/containers/nope/kill', undefined, 404, 'No such container: nope'],
    ['DELETE', '/containers/nope', undefined, 404, 'No such container: nope'],
    ['GET', '/images/nope/json', undefined, 404, 'No such image: nope:latest'],
    ['DELETE', '/images/nope', undefined, 404, 'No such image: nope:latest'],
    ['GET', '/volumes/nope', undefined, 404, 'get nope: no such volume'],
    ['DELETE', '/volumes/nope', undefined, 404, /no such volume/],
    ['GET', '/networks/nope', undefined, 404, 'network nope not found'],
    ['POST', '/exec/nope/start', {}, 404, 'No such exec instance: nope'],
    ['GET', '/exec/nope/json', undefined, 404, 'No such exec instance: nope'],
    ['POST', '/containers/create', { Image: 'nope', Cmd: ['true'] }, 404, 'No such image: nope:latest'],
  ],
  'malformed requests: 400 before any engine code': [
    ['POST', '/containers/create', '{', 400, /^invalid character|unexpected EOF/],
    ['POST', '/containers/create', { Image: 1 }, 400, 'json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Image of type string'],
    ['POST', '/containers/create', { Image: 'busybox', Labels: { a: {} } }, 400, /cannot unmarshal object into Go struct field .*Labels of type string/],
    ['POST', '/containers/create', { Image: 'busybox', HostConfig: { Memory: 'abc' } }, 400, /cannot unmarshal string into Go struct field .*Memory of type int64/],
    ['POST', '/containers/create', { Image: 'busybox', HostConfig: { OomScoreAdj: 2000 } }, 400, 'Invalid value 2000, range for oom score adj is [-1000, 1000]'],
    ['POST', '/containers/create', { Image: 'busybox', HostConfig: { DeviceRequests: 0 } }, 400, /cannot unmarshal number into Go struct field .*DeviceRequests of type \[\]container\.DeviceRequest/],
    ['POST', '/containers/create', { Image: 'busybox', HostConfig: { DeviceRequests: [{ Capabilities: 'gpu' }] } }, 400, /cannot unmarshal string into Go struct field .*Capabilities of type \[\]\[\]string/],
    ['GET', '/containers/json?filters=%7Bbad', undefined, 400, /invalid filter|invalid character/],
    ['GET', '/events?since=abc', undefined, 500, 'strconv.ParseInt: parsing "abc": invalid syntax'],
    ['POST', '/networks/create', { Name: '' }, 400, 'invalid name: '],
    ['POST', '/volumes/create', { Name: 'a/b' }, 400, /"a\/b" includes invalid characters for a local volume name/],
    ['POST', `/images/busybox/tag?repo=BAD`, undefined, 400, /invalid reference format/],
    ['GET', '/distribution/BAD!name/json', undefined, 400, /invalid reference format/],
  ],
  'fields refused at create, with the reason': [
    ['POST', '/containers/create?name=bad%2Fname', { Image: 'busybox', Cmd: ['true'] }, 400, 'Invalid container name (bad/name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed'],
    ['POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { CpuCount: 2 } }, 400, /linux does not support CPU count/],
    ['POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { Runtime: 'nope' } }, 400, 'Unknown runtime specified nope'],
    ['POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { StorageOpt: { size: '1G' } } }, 400, "--storage-opt is supported only for overlay over xfs with 'pquota' mount option"],
    ['POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], ArgsEscaped: true }, 400, /linux does not support escaped command lines/],
    ['POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { LogConfig: { Type: 'json-file', Config: { 'max-size': 'banana' } } } }, 400, /invalid size: 'banana'/],
  ],
  'conflicts: 409 / 304 as dockerd answers them': [
    ['POST', '/containers/create?name=taken', { Image: 'busybox', Cmd: ['true'] }, 409, /^Conflict\. The container name "\/taken" is already in use by container "d{64}"/],
    ['POST', `/containers/made/rename?name=taken`, undefined, 409, /Conflict\. The container name "\/taken" is already in use/],
    ['POST', '/containers/made/stop', undefined, 304, ''],
    ['POST', '/containers/made/kill', undefined, 409, `Cannot kill container: made: container ${CREATED} is not running`],
    ['POST', '/containers/made/pause', undefined, 409, `Container ${CREATED} is not running`],
    ['POST', '/containers/made/exec', { Cmd: ['true'] }, 409, `container ${CREATED} is not running`],
    ['POST', '/containers/made/update', { KernelMemory: 1 << 24 }, 400, /^KernelMemory cannot be updated by wharfd/],
    ['POST', '/networks/create', { Name: 'net' }, 409, 'network with name net already exists'],
    ['POST', '/networks/create', { Name: 'x', Driver: 'overlay' }, 404, /plugin "overlay" not found/],
    ['DELETE', '/networks/none', undefined, 403, /none is a pre-defined network and cannot be removed/],
  ],
  'API versions and routes': [
    ['GET', '/v1.8/version', undefined, 400, 'client version 1.8 is too old. Minimum supported API version is 1.9, please upgrade your client to a newer version'],
    ['GET', '/v1.9/containers/nope/json', undefined, 404, 'No such container: nope'],
    ['GET', '/v1.9/nope', undefined, 404, 'page not found'],
    ['POST', '/v1.24/containers/made/start', { Binds: ['/tmp:/tmp'] }, 400, 'starting container with non-empty request body was deprecated since API v1.22 and removed in v1.24'],
    ['POST', '/v1.9/containers/made/start', { Links: ['nope:db'] }, 400, 'could not get container for nope: No such container: nope'],
    ['POST', '/v1.23/containers/made/copy', { Resource: '' }, 400, 'Path cannot be empty'],
    ['POST', '/v1.24/containers/made/copy', { Resource: '/etc' }, 404, ''],
    ['POST', '/containers/made/copy', { Resource: '/etc' }, 404, ''],
    ['GET', '/v1.9/images/viz', undefined, 404, 'This is now implemented in the client.'],
    ['GET', '/images/viz', undefined, 404, 'page not found'],
    ['POST', '/v1.11/images/nope/insert?url=http://127.0.0.1:1/f&path=/f', undefined, 404, 'No such image: nope:latest'],
    ['POST', '/v1.11/images/nope/insert?path=/f', undefined, 400, 'url is required'],
    ['POST', '/v1.12/images/nope/insert?url=http://127.0.0.1:1/f&path=/f', undefined, 404, 'page not found'],
    ['GET', '/v9.99/version', undefined, 400, /client version 9.99 is too new/],
    ['GET', '/nope', undefined, 404, 'page not found'],
  ],
};

for (const [what, cases] of Object.entries(CASES)) {
  describe(what, () => {
    for (const c of cases) test(`${c[0]} ${c[1]} → ${c[3]}`, () => check(c));
  });
}

test('more than thirty error paths are checked here, and the host was never reached', () => {
  assert.ok(Object.values(CASES).flat().length > 30);
});

test('a boolean query is read as dockerd reads it (httputils.BoolValue): all=maybe lists every container, all=no only running ones', async () => {
  const all = await app.inject({ method: 'GET', url: '/containers/json?all=maybe' });
  assert.deepEqual((JSON.parse(all.body) as { Names: string[] }[]).map((c) => c.Names[0]).sort(), ['/made', '/taken']);
  const none = await app.inject({ method: 'GET', url: '/containers/json?all=no' });
  assert.deepEqual(JSON.parse(none.body), []);
});
