import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { BUSYBOX_TAR, ping, sleep, TestDaemon } from './helpers/wharfd';
import { prng } from './helpers/prng';

/**
 * A bounded API fuzz on the unix socket of a test wharfd: malformed requests across the
 * endpoints (wrong types for each field, huge values, bad escapes, cut-off and invalid
 * bodies, garbage archives). What must hold: no 500 whose message is a JavaScript error, no
 * request unanswered within 10 s, no crash, memory back near where it was, and a journal
 * that still replays into listings the real docker CLI reads.
 *
 * WHARF_FUZZ_N sets the number of requests (default 3000), WHARF_FUZZ_SEED replays a run,
 * WHARF_FUZZ_ONLY=i,j replays only some of its requests, WHARF_FUZZ_DUMP=file writes every answer.
 */
const N = Number(process.env.WHARF_FUZZ_N ?? 3000);
const SEED = Number(process.env.WHARF_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const CONCURRENCY = 6;
const ANSWER_MS = 10_000;
const JS_ERROR = /is not iterable|is not a function|Cannot read propert|undefined|is not defined|Cannot convert|Maximum call stack|Invalid array length|Unexpected token|is not a constructor|Cannot destructure/;

interface Req {
  method: string;
  path: string;
  body?: Buffer | string;
  headers?: Record<string, string>;
}

interface Answer {
  status: number;
  message?: string;
  ms: number;
  error?: string;
}

/** Send one request; the answer is its status (and message); a stream is read for a moment, then dropped. */
function send(sock: string, r: Req): Promise<Answer> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (a: Omit<Answer, 'ms'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ...a, ms: Date.now() - t0 });
    };
    let req: http.ClientRequest;
    try {
      req = http.request({ socketPath: sock, path: r.path, method: r.method, headers: r.headers ?? {}, agent: false });
    } catch (e) {
      // The client itself refuses (e.g. a control character in the path): nothing was sent.
      resolve({ status: -1, ms: 0, error: `client: ${(e as Error).message}` });
      return;
    }
    const timer = setTimeout(() => {
      req.destroy();
      finish({ status: 0, error: 'no answer' });
    }, ANSWER_MS);
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status < 400) {
        // A success may be a stream (events, logs, wait, attach): its headers are the answer.
        const drop = setTimeout(() => res.destroy(), 500);
        res.on('data', () => undefined);
        res.on('close', () => clearTimeout(drop));
        finish({ status });
        return;
      }
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        let message: string | undefined;
        try {
          message = (JSON.parse(body) as { message?: string }).message;
        } catch {
          message = body;
        }
        finish({ status, message });
      });
      res.on('error', () => finish({ status, message: body }));
    });
    req.on('error', (e) => finish({ status: 0, error: e.message }));
    if (r.body !== undefined) req.write(r.body);
    req.end();
  });
}

/** Remove every container, volume and tag the fuzz made (busybox:latest stays). */
async function removeAll(sock: string): Promise<void> {
  const list = async (p: string) => {
    const r = await get(sock, p);
    return JSON.parse(r) as unknown;
  };
  for (const c of (await list('/containers/json?all=1')) as { Id: string }[]) await send(sock, { method: 'DELETE', path: `/containers/${c.Id}?force=1&v=1` });
  for (const v of ((await list('/volumes')) as { Volumes: { Name: string }[] }).Volumes) await send(sock, { method: 'DELETE', path: `/volumes/${encodeURIComponent(v.Name)}?force=1` });
  for (const i of (await list('/images/json')) as { RepoTags: string[] | null }[]) {
    for (const t of i.RepoTags ?? []) if (t !== 'busybox:latest') await send(sock, { method: 'DELETE', path: `/images/${encodeURIComponent(t)}` });
  }
}

function get(sock: string, p: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ socketPath: sock, path: p, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** The generator of malformed requests, all driven by one seeded PRNG. */
function generator(rand: () => number, busybox: Buffer) {
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const deep = (n: number): unknown => {
    let v: unknown = 1;
    for (let i = 0; i < n; i++) v = [v];
    return v;
  };
  const wrong = (): unknown =>
    pick<() => unknown>([
      () => pick([1, -1, 0, 0.5, -0.5, 1e30, -1e30, 9223372036854775807, 2 ** 53 + 1, 6291455, 1000]),
      () => pick(['', 'x', 'abc', '-1', '1.5', '1e5', '../../../etc/passwd', '/', '\u0000', '\ud800', '%zz', 'a b', '80/tcp', 'true']),
      () => pick([true, false, null]),
      () => pick([[], [1], [null], [{}], ['a', 1], [[]]]),
      () => pick([{}, { a: 1 }, { a: {} }, { a: null }, { a: [] }, { '80/tcp': 1 }, { '': '' }]),
      () => 'a'.repeat(int(200_000)),
      () => Array.from({ length: int(5000) }, (_, i) => `E${i}=${'v'.repeat(int(50))}`),
      () => Object.fromEntries(Array.from({ length: int(3000) }, (_, i) => [`k${i}`, 'v'.repeat(int(100))])),
      () => deep(int(3000)),
    ])();

  /** Replace the value at a dotted path (creating the way) with a wrong one. */
  const mutate = (base: Record<string, unknown>, paths: string[]): Record<string, unknown> => {
    const body = structuredClone(base);
    const times = 1 + int(2);
    for (let t = 0; t < times; t++) {
      const p = rand() < 0.1 ? `Random${int(5)}` : pick(paths);
      const keys = p.split('.');
      let o = body as Record<string, unknown>;
      for (const k of keys.slice(0, -1)) {
        if (o[k] === null || typeof o[k] !== 'object') o[k] = /^\d+$/.test(k) ? [] : {};
        o = o[k] as Record<string, unknown>;
      }
      o[keys[keys.length - 1]] = wrong();
    }
    return body;
  };

  const json = { 'Content-Type': 'application/json' };
  const target = () => pick(['fz', 'fz', 'nosuch', '%zz', '..%2F..', 'a'.repeat(int(3000)), '%00', encodeURIComponent('\u00e9\u0000x'), '']);

  const bodies: { method: string; path: () => string; base: Record<string, unknown>; paths: string[] }[] = [
    {
      method: 'POST',
      path: () => `/containers/create${rand() < 0.3 ? `?name=${pick(['a%20b', '%zz', '-x', 'ok' + int(1e6), 'a'.repeat(int(5000))])}` : ''}`,
      base: { Image: 'busybox', Cmd: ['true'], Labels: { a: 'b' }, Env: ['A=1'], HostConfig: { Memory: 0, PortBindings: { '80/tcp': [{ HostPort: '8080' }] } } },
      paths: [
        'Image', 'Cmd', 'Cmd.0', 'Entrypoint', 'Labels', 'Labels.a', 'Labels.__proto__', 'Env', 'Env.0', 'ExposedPorts', 'ExposedPorts.80/tcp', 'Volumes', 'Volumes./data',
        'Healthcheck', 'Healthcheck.Test', 'Healthcheck.Interval', 'Healthcheck.Retries', 'StopTimeout', 'StopSignal', 'User', 'WorkingDir', 'Tty', 'OpenStdin', 'Hostname', 'Shell',
        'HostConfig', 'HostConfig.Memory', 'HostConfig.MemorySwap', 'HostConfig.CpuShares', 'HostConfig.NanoCpus', 'HostConfig.CpuPeriod', 'HostConfig.CpuQuota', 'HostConfig.PidsLimit',
        'HostConfig.Binds', 'HostConfig.Binds.0', 'HostConfig.PortBindings', 'HostConfig.PortBindings.80/tcp', 'HostConfig.PortBindings.80/tcp.0', 'HostConfig.PortBindings.80/tcp.0.HostPort',
        'HostConfig.PortBindings.80/tcp.0.HostIp', 'HostConfig.RestartPolicy', 'HostConfig.RestartPolicy.Name', 'HostConfig.RestartPolicy.MaximumRetryCount', 'HostConfig.Mounts',
        'HostConfig.Mounts.0', 'HostConfig.Mounts.0.Type', 'HostConfig.Mounts.0.Target', 'HostConfig.Tmpfs', 'HostConfig.Ulimits', 'HostConfig.Ulimits.0.Soft', 'HostConfig.LogConfig',
        'HostConfig.LogConfig.Config', 'HostConfig.Sysctls', 'HostConfig.ExtraHosts', 'HostConfig.Dns', 'HostConfig.CapAdd', 'HostConfig.Devices', 'HostConfig.Devices.0.PathOnHost',
        'HostConfig.NetworkMode', 'HostConfig.Links', 'HostConfig.VolumesFrom', 'HostConfig.ConsoleSize', 'HostConfig.ShmSize', 'HostConfig.OomScoreAdj', 'HostConfig.AutoRemove',
        'HostConfig.Init', 'HostConfig.SecurityOpt', 'HostConfig.GroupAdd', 'HostConfig.BlkioWeightDevice', 'HostConfig.DeviceRequests',
        'NetworkingConfig', 'NetworkingConfig.EndpointsConfig', 'NetworkingConfig.EndpointsConfig.none', 'NetworkingConfig.EndpointsConfig.none.Aliases',
        'NetworkingConfig.EndpointsConfig.none.IPAMConfig.IPv4Address',
      ],
    },
    {
      method: 'POST',
      path: () => `/containers/${target()}/update`,
      base: { Memory: 0, RestartPolicy: { Name: 'no' } },
      paths: ['Memory', 'MemorySwap', 'CpuShares', 'CpuQuota', 'PidsLimit', 'RestartPolicy', 'RestartPolicy.Name', 'RestartPolicy.MaximumRetryCount', 'BlkioWeight'],
    },
    {
      method: 'POST',
      path: () => `/commit?container=${target()}&repo=${pick(['fzimg', 'A B', '%zz', ''])}`,
      base: { Labels: { a: 'b' }, Env: ['A=1'] },
      paths: ['Labels', 'Labels.a', 'Env', 'Env.0', 'Cmd', 'Entrypoint', 'ExposedPorts', 'Volumes', 'User'],
    },
    {
      method: 'POST',
      path: () => `/containers/${target()}/exec`,
      base: { Cmd: ['true'], AttachStdout: true },
      paths: ['Cmd', 'Cmd.0', 'Env', 'Env.0', 'User', 'Tty', 'WorkingDir', 'ConsoleSize', 'DetachKeys', 'Privileged'],
    },
    {
      method: 'POST',
      path: () => `/exec/${pick(['nosuch', '%zz', 'a'.repeat(int(2000))])}/start`,
      base: { Detach: true },
      paths: ['Detach', 'Tty', 'ConsoleSize', 'ConsoleSize.0'],
    },
    {
      method: 'POST',
      path: () => '/volumes/create',
      base: { Name: 'fzvol', Labels: { a: 'b' } },
      paths: ['Name', 'Driver', 'DriverOpts', 'DriverOpts.o', 'Labels', 'Labels.a'],
    },
    {
      // Two invalid fields: one mutation cannot make a network (and a bridge on the host).
      method: 'POST',
      path: () => '/networks/create',
      base: { Name: 'fznet', Driver: 'fuzz-none', IPAM: { Config: [{ Subnet: 'not-a-subnet' }] } },
      paths: ['Name', 'Labels', 'Labels.a', 'Options', 'Internal', 'EnableIPv6', 'IPAM.Config', 'IPAM.Config.0.Gateway', 'IPAM.Options', 'Attachable'],
    },
    {
      method: 'POST',
      path: () => `/networks/${pick(['none', 'host', 'nosuch', '%zz'])}/${pick(['connect', 'disconnect'])}`,
      base: { Container: 'nosuch' },
      paths: ['Container', 'Force', 'EndpointConfig', 'EndpointConfig.Aliases', 'EndpointConfig.IPAMConfig', 'EndpointConfig.IPAMConfig.IPv4Address', 'EndpointConfig.Links'],
    },
    // Registries named are on loopback (a closed port): the fuzz sends nothing off the machine.
    { method: 'POST', path: () => '/auth', base: { username: 'u', password: 'p', serveraddress: '127.0.0.1:1' }, paths: ['username', 'password', 'auth', 'email'] },
  ];

  const queries: { method: string; path: () => string; keys: string[]; fixed?: () => string }[] = [
    { method: 'POST', path: () => `/containers/${pick(['nosuch', '%zz', 'x'.repeat(int(3000))])}/stop`, keys: ['t', 'signal'] },
    { method: 'POST', path: () => `/containers/${pick(['nosuch', '%zz'])}/restart`, keys: ['t', 'signal'] },
    { method: 'POST', path: () => `/containers/${target()}/kill`, keys: ['signal'] },
    { method: 'POST', path: () => `/containers/${target()}/resize`, keys: ['h', 'w'] },
    { method: 'POST', path: () => `/containers/${target()}/rename`, keys: ['name'] },
    { method: 'POST', path: () => `/containers/${target()}/wait`, keys: ['condition'] },
    { method: 'GET', path: () => `/containers/${target()}/logs`, keys: ['stdout', 'stderr', 'tail', 'since', 'until', 'timestamps', 'details'] },
    { method: 'GET', path: () => `/containers/${target()}/archive`, keys: ['path'] },
    { method: 'HEAD', path: () => `/containers/${target()}/archive`, keys: ['path'] },
    { method: 'GET', path: () => `/containers/${target()}/top`, keys: ['ps_args'] },
    { method: 'GET', path: () => `/containers/${target()}/json`, keys: ['size'] },
    { method: 'GET', path: () => `/containers/${target()}/stats`, keys: ['stream', 'one-shot'] },
    { method: 'GET', path: () => `/containers/${target()}/changes`, keys: [] },
    { method: 'DELETE', path: () => `/containers/${pick(['nosuch', '%zz', ''])}`, keys: ['force', 'v', 'link'] },
    { method: 'POST', path: () => `/exec/${pick(['nosuch', '%zz'])}/resize`, keys: ['h', 'w'] },
    { method: 'GET', path: () => `/exec/${pick(['nosuch', '%zz'])}/json`, keys: [] },
    { method: 'GET', path: () => '/containers/json', keys: ['all', 'limit', 'size', 'filters'] },
    { method: 'POST', path: () => '/containers/prune', keys: ['filters'] },
    { method: 'GET', path: () => '/images/json', keys: ['all', 'filters', 'digests'] },
    { method: 'POST', path: () => '/images/prune', keys: ['filters'] },
    { method: 'GET', path: () => '/images/search', keys: ['limit', 'filters'], fixed: () => `term=127.0.0.1:1/${encodeURIComponent(qvalue())}` },
    { method: 'GET', path: () => `/images/${pick(['busybox', 'nosuch', '%zz', 'a'.repeat(int(3000)), 'busybox%3Alatest'])}/${pick(['json', 'history', 'get'])}`, keys: [] },
    { method: 'GET', path: () => '/images/get', keys: ['names'] },
    { method: 'POST', path: () => `/images/${pick(['busybox', 'nosuch', '%zz'])}/tag`, keys: ['repo', 'tag'] },
    { method: 'POST', path: () => `/images/${pick(['nosuch', '%zz', 'localhost:1/x'])}/push`, keys: ['tag'] },
    { method: 'DELETE', path: () => `/images/${pick(['nosuch', '%zz', 'sha256:zz'])}`, keys: ['force', 'noprune'] },
    { method: 'POST', path: () => '/images/create', keys: ['tag', 'platform'], fixed: () => `fromImage=127.0.0.1:1/${encodeURIComponent(qvalue())}` },
    { method: 'GET', path: () => '/networks', keys: ['filters'] },
    { method: 'GET', path: () => `/networks/${pick(['none', 'nosuch', '%zz', ''])}`, keys: ['verbose', 'scope'] },
    { method: 'DELETE', path: () => `/networks/${pick(['nosuch', '%zz', 'none'])}`, keys: [] },
    { method: 'POST', path: () => '/networks/prune', keys: ['filters'] },
    { method: 'GET', path: () => '/volumes', keys: ['filters'] },
    { method: 'GET', path: () => `/volumes/${pick(['nosuch', '%zz', ''])}`, keys: [] },
    { method: 'DELETE', path: () => `/volumes/${pick(['nosuch', '%zz'])}`, keys: ['force'] },
    { method: 'POST', path: () => '/volumes/prune', keys: ['filters'] },
    { method: 'GET', path: () => '/events', keys: ['since', 'until', 'filters'] },
    { method: 'GET', path: () => '/system/df', keys: ['type'] },
    { method: 'GET', path: () => '/info', keys: [] },
    { method: 'GET', path: () => '/version', keys: [] },
  ];

  const qvalue = () =>
    pick<() => string>([
      () => pick(['abc', '1.5', '-1', '0', '1e5', '99999999999999999999', '', 'true', 'None', '%zz', '%00', '%', '%2', 'a%20b', '%E2%82', '+', '..%2F..']),
      () => pick(['{', '{"a":1}', '{"label":["a"]}', '{"label":{"a=b":true}}', '{"until":["x"]}', '[]', 'null', '{"dangling":["x"]}', '{"reference":["*"]}']).replace(/[{}"[\]:,=]/g, encodeURIComponent),
      () => 'x'.repeat(int(20_000)),
      () => String(int(1e9) - 5e8),
      () => new Date(Date.now() - int(1e9)).toISOString(),
    ])();

  const archives = (): Buffer =>
    pick<() => Buffer>([
      () => Buffer.from('garbage'),
      () => busybox.subarray(0, int(busybox.length)),
      () => busybox.subarray(int(4096)),
      () => Buffer.alloc(int(20_000), int(256)),
      () => Buffer.from(Array.from({ length: int(20_000) }, () => int(256))),
      () => {
        // A tar header with a wrong checksum and a huge size.
        const h = Buffer.alloc(512);
        h.write('evil', 0);
        h.write('77777777777', 124);
        return Buffer.concat([h, Buffer.alloc(1024)]);
      },
      () => Buffer.alloc(0),
    ])();

  return (): Req => {
    const kind = rand();
    if (kind < 0.45) {
      const e = pick(bodies);
      // A login with no server named goes to Docker Hub: /auth bodies keep their loopback server.
      const r = e.path() === '/auth' ? rand() * 0.7 : rand();
      let body: string;
      if (r < 0.7) body = JSON.stringify(mutate(e.base, e.paths));
      else if (r < 0.8) {
        const full = JSON.stringify(mutate(e.base, e.paths));
        body = full.slice(0, int(full.length)); // cut off
      } else if (r < 0.85) body = pick(['', 'null', '[]', '"x"', '1', 'true', '{', '{"a":', '\u0000', '{"Labels":{"__proto__":{"x":"y"}}}', '{"constructor":{"prototype":{"x":1}}}']);
      else if (r < 0.9) body = '['.repeat(int(200_000));
      else if (r < 0.95) body = `{"Image":"busybox","Labels":{"a":"\\u${pick(['d800', 'zzzz', '00'])}"}}`;
      else body = Buffer.from(Array.from({ length: int(4000) }, () => int(256))).toString('latin1');
      const headers: Record<string, string> = rand() < 0.9 || e.path() === '/auth' ? json : pick<Record<string, string>>([{}, { 'Content-Type': 'text/plain' }, { 'Content-Type': 'application/json; charset=utf-8' }]);
      return { method: e.method, path: e.path(), body, headers };
    }
    if (kind < 0.85) {
      const q = pick(queries);
      const parts: string[] = q.fixed ? [q.fixed()] : [];
      for (const k of q.keys) if (rand() < 0.6) parts.push(`${k}=${qvalue()}`);
      if (rand() < 0.2) parts.push(`${pick(q.keys.length ? q.keys : ['x'])}=${qvalue()}`); // repeated
      if (rand() < 0.1) parts.push(`${qvalue()}=${qvalue()}`);
      return { method: q.method, path: `${q.path()}${parts.length ? `?${parts.join('&')}` : ''}` };
    }
    const a = archives();
    return pick<() => Req>([
      () => ({ method: 'POST', path: `/images/load${rand() < 0.5 ? '?quiet=1' : ''}`, body: a, headers: { 'Content-Type': 'application/x-tar' } }),
      () => ({ method: 'POST', path: `/images/create?fromSrc=-&repo=${pick(['fzimport', 'A B', '%zz'])}`, body: a, headers: { 'Content-Type': 'application/x-tar' } }),
      () => ({ method: 'PUT', path: `/containers/${target()}/archive?path=${pick(['/tmp', '/', '%zz', '/nonexistent', '../..', ''])}`, body: a, headers: { 'Content-Type': 'application/x-tar' } }),
      () => ({ method: 'POST', path: '/build?t=fz', body: a, headers: { 'Content-Type': 'application/x-tar' } }),
    ])();
  };
}

describe('API fuzz', () => {
  const d = new TestDaemon();
  before(async () => {
    // V8 keeps the young generation it grew under the fuzz's burst of large bodies (up to
    // 3 x 16 MiB of semi-spaces), which is capacity, not retained memory: capped here so that
    // the RSS check sees what the daemon holds on to.
    await d.start([], { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-semi-space-size=2`.trim() });
    d.importBusybox();
    d.dockerOk(['create', '--name', 'fz', 'busybox', 'sleep', '1000']).trim();
  });
  after(async () => {
    await d.cleanup();
  });

  it(`answers ${N} malformed requests without a JavaScript error, a hang, a crash or a leak (seed ${SEED})`, async () => {
    console.log(`api-fuzz: seed ${SEED} (replay with WHARF_FUZZ_SEED=${SEED}), ${N} requests`);
    const next = generator(prng(SEED), readFileSync(BUSYBOX_TAR));
    const pid = d.proc!.pid!;
    // Warm up (code paths compiled, views loaded) before the baseline.
    for (let i = 0; i < 20; i++) await send(d.sock, { method: 'GET', path: '/containers/json?all=1' });
    const rssBefore = rss(pid);
    const failures: string[] = [];
    const counts = new Map<number, number>();
    const serverErrors = new Map<string, string>();
    let requests: Req[] = Array.from({ length: N }, () => next());
    // WHARF_FUZZ_ONLY=i,j: replay only those requests of the run (with the same seed and N).
    const only = process.env.WHARF_FUZZ_ONLY?.split(',').map(Number);
    if (only) requests = requests.map((r, n) => (only.includes(n) ? r : { method: 'GET', path: '/_ping' }));
    let i = 0;
    const worker = async () => {
      while (i < requests.length) {
        const n = i++;
        const r = requests[n];
        const a = await send(d.sock, r);
        counts.set(a.status, (counts.get(a.status) ?? 0) + 1);
        const what = `#${n} ${r.method} ${r.path.slice(0, 200)} ${typeof r.body === 'string' ? r.body.slice(0, 200) : r.body ? `<${r.body.length} bytes>` : ''}`;
        if (only?.includes(n)) console.log(`api-fuzz: #${n} ${JSON.stringify({ ...r, body: typeof r.body === 'string' ? r.body.slice(0, 2000) : r.body?.length })} => ${JSON.stringify(a)}`);
        if (a.error === 'no answer') failures.push(`hang: ${what}`);
        // Past node's 16 KiB of request head the HTTP layer answers 431 and closes; a refusal of a
        // large body is sent before the body is read, and the connection closed (as Go's server
        // does past 256 KiB): in both a client still writing may see only the close (EPIPE).
        else if (a.status === 0 && r.path.length < 16 * 1024 && !(/EPIPE|ECONNRESET/.test(a.error ?? '') && (r.body?.length ?? 0) > 256 * 1024)) {
          failures.push(`connection failed (${a.error}): ${what}`);
        }
        // A JavaScript error in any refusal (a 500, or "No such container: undefined") is a fault.
        else if (a.status >= 400 && JS_ERROR.test(a.message ?? '')) failures.push(`${a.status} ${a.message}: ${what}`);
        if (process.env.WHARF_FUZZ_DUMP) appendFileSync(process.env.WHARF_FUZZ_DUMP, `${a.status}\t${(a.message ?? a.error ?? '').slice(0, 200).replace(/\s+/g, ' ')}\t${what.slice(0, 300)}\n`);
        if (a.status >= 500 && !serverErrors.has(`${a.status} ${(a.message ?? '').slice(0, 160)}`)) serverErrors.set(`${a.status} ${(a.message ?? '').slice(0, 160)}`, what.slice(0, 300));
      }
    };
    const progress = setInterval(() => console.log(`api-fuzz: ${i}/${requests.length} sent, rss ${Math.round(rss(pid) / 2 ** 20)} MiB`), 5000);
    await Promise.all(Array.from({ length: CONCURRENCY }, worker)).finally(() => clearInterval(progress));
    for (const [e, first] of serverErrors) console.log(`api-fuzz: ${e} (first: ${first})`);
    console.log(`api-fuzz: statuses ${JSON.stringify(Object.fromEntries([...counts].sort((x, y) => x[0] - y[0])))}`);
    assert.deepEqual(failures, [], `seed ${SEED}`);

    assert.equal(d.proc!.exitCode, null, 'wharfd is alive');
    assert.ok(await ping(d.sock), '/_ping answers');
    // What the fuzz made is removed (large labels or env that were valid are state, not a
    // leak); then memory settles back near where it started.
    await removeAll(d.sock);
    // The bound: 80 MiB, plus the ~15 MiB at which the build path's working memory levels off
    // (POST /build extracts each 2 MiB context to disk: 240 builds in a row plateau at +15 MiB
    // and stay there; a leak of the fuzz's bodies would pass this by hundreds of MiB). Measured:
    // one build, two seeds, +13 and +59 MiB; eight builds of one day, +23 to +69 MiB (how much of
    // the heap V8 has not yet given back varies with the requests drawn): 64 MiB failed clean runs.
    const bound = 96 * 1024 * 1024;
    let grown = 0;
    for (let t = 0; t < 30; t++) {
      await sleep(1000);
      grown = rss(pid) - rssBefore;
      if (grown < bound) break;
    }
    console.log(`api-fuzz: rss ${Math.round(rssBefore / 2 ** 20)} MiB before, ${Math.round((rssBefore + grown) / 2 ** 20)} MiB after`);
    assert.ok(grown < bound, `rss grew by ${Math.round(grown / 2 ** 20)} MiB`);
  });

  it('leaves a journal that replays: the docker CLI lists everything after a restart', async () => {
    await d.stop();
    await d.start();
    const until = String(Math.floor(Date.now() / 1000) + 1);
    for (const args of [['ps', '-a'], ['volume', 'ls'], ['network', 'ls'], ['images'], ['events', '--since', '0', '--until', until]]) {
      const r = d.docker(args);
      assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    }
  });
});
