import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { api, DOCKER, ping, ROOT, runSync, sleep, TestDaemon } from './helpers/wharfd';

// wharfd's listeners as dockerd's: unix, tcp with TLS (the real docker CLI with --tlsverify),
// host:port and :port, fd:// through systemd-socket-activate; the refusals (no certificate,
// another CA's, plain HTTP to the TLS port, plain TCP without --tls=false, a missing group or
// missing activated sockets); the socket's mode and group; CORS. Certificates are made here
// with openssl; every listener is on 127.0.0.1 or a socket in a temp dir.
const tmp = mkdtempSync(path.join(os.tmpdir(), 'wharf-listeners-'));
const certs = path.join(tmp, 'certs');
const other = path.join(tmp, 'other-ca');
const WHARFD = path.join(ROOT, 'bin', 'wharfd');
const WHARF = path.join(ROOT, 'bin', 'wharf');
const daemons: TestDaemon[] = [];
const group = `wharft${process.pid % 100000}`;
let groupMade = false;

function sh(cmd: string, cwd: string): void {
  const r = spawnSync('sh', ['-ec', cmd], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd}: ${r.stderr}`);
}

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate, as Docker's guide makes them (EC keys: quick). */
function makeCerts(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const ec = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes';
  sh(
    [
      `openssl req -x509 ${ec} -keyout ca-key.pem -out ca.pem -days 1 -subj "/CN=wharf test CA"`,
      `openssl req ${ec} -keyout server-key.pem -out server.csr -subj /CN=localhost`,
      `printf 'subjectAltName = DNS:localhost,IP:127.0.0.1\\nextendedKeyUsage = serverAuth\\n' > server.cnf`,
      'openssl x509 -req -days 1 -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server-cert.pem -extfile server.cnf',
      `openssl req ${ec} -keyout key.pem -out client.csr -subj /CN=client`,
      `printf 'extendedKeyUsage = clientAuth\\n' > client.cnf`,
      'openssl x509 -req -days 1 -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out cert.pem -extfile client.cnf',
    ].join(' 2>/dev/null\n'),
    dir,
  );
}

/** A port nothing listens on now (127.0.0.1 only). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function daemon(): TestDaemon {
  const d = new TestDaemon();
  daemons.push(d);
  return d;
}

/** wharfd that must refuse to start: its exit code and what it said. */
function wharfdRefuses(args: string[], env: NodeJS.ProcessEnv = {}): { code: number; out: string } {
  const dir = mkdtempSync(path.join(tmp, 'refused-'));
  const r = runSync(WHARFD, [...args, '--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'run'), '--pidfile', path.join(dir, 'pid'), '--bridge', 'none'], { ...process.env, ...env }, { timeoutMs: 30_000 });
  return { code: r.code, out: r.stdout + r.stderr };
}

/** A GET over plain TCP: the status and headers (or the error). */
function tcpGet(port: number, p: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, headers, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

function dockerGid(): number {
  const r = spawnSync('getent', ['group', 'docker'], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.split(':')[2]) : 0;
}

before(() => {
  makeCerts(certs);
  makeCerts(other);
});

after(async () => {
  for (const d of daemons) await d.cleanup();
  if (groupMade) spawnSync('groupdel', [group], { stdio: 'ignore' });
  rmSync(tmp, { recursive: true, force: true });
});

describe('TCP with --tlsverify, and the unix socket beside it', () => {
  const d = daemon();
  let port = 0;
  const tlsArgs = () => ['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', path.join(certs, 'ca.pem'), '--tlscert', path.join(certs, 'cert.pem'), '--tlskey', path.join(certs, 'key.pem')];
  const docker = (args: string[], env: NodeJS.ProcessEnv = {}) => runSync(DOCKER, args, { ...process.env, DOCKER_CONFIG: path.join(d.dir, 'docker-config'), DOCKER_HOST: '', ...env });

  before(async () => {
    port = await freePort();
    await d.start(['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', path.join(certs, 'ca.pem'), '--tlscert', path.join(certs, 'server-cert.pem'), '--tlskey', path.join(certs, 'server-key.pem'), '--api-cors-header', 'https://ui.example']);
    d.importBusybox();
  });

  test('the unix socket is 0660, owned by root and the docker group (else root\'s), as dockerd makes it', () => {
    const st = statSync(d.sock);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o660);
    assert.equal(st.uid, 0);
    assert.equal(st.gid, dockerGid());
  });

  test('the real docker CLI with --tlsverify: docker version and docker run over TCP', () => {
    const v = docker([...tlsArgs(), 'version', '--format', '{{.Server.Version}} {{.Server.APIVersion}}']);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout.trim(), /^\d+\.\d+\.\d+ 1\.\d+$/);
    const r = docker([...tlsArgs(), 'run', '--rm', 'busybox', 'echo', 'hi']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hi\n');
    // The hijacked attach both ways over TLS: stdin in, output and exit code back.
    const i = runSync(DOCKER, [...tlsArgs(), 'run', '--rm', '-i', 'busybox', 'sh', '-c', 'cat; exit 3'], { ...process.env, DOCKER_CONFIG: path.join(d.dir, 'docker-config'), DOCKER_HOST: '' }, { input: 'piped\n' });
    assert.equal(i.stdout, 'piped\n');
    assert.equal(i.code, 3, i.stderr);
  });

  test('DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, for docker and for wharf', () => {
    const env = { DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs };
    const r = docker(['ps', '-a', '--format', '{{.Names}}'], env);
    assert.equal(r.code, 0, r.stderr);
    const w = runSync(WHARF, ['version', '--format', '{{.Server.Version}}'], { ...process.env, ...env });
    assert.equal(w.code, 0, w.stderr);
    assert.match(w.stdout.trim(), /^\d+\.\d+\.\d+$/);
    const flags = runSync(WHARF, [...tlsArgs(), 'ps', '-q'], { ...process.env, DOCKER_HOST: '' });
    assert.equal(flags.code, 0, flags.stderr);
  });

  test('a client without a certificate is refused', () => {
    const r = docker(['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', path.join(certs, 'ca.pem'), 'version', '--format', '{{.Server.Version}}']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error during connect: .*https:\/\/127\.0\.0\.1:\d+\/.*remote error: tls: certificate required/);
    const w = runSync(WHARF, ['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', path.join(certs, 'ca.pem'), 'ps'], { ...process.env, DOCKER_CONFIG: path.join(d.dir, 'nothing') });
    assert.equal(w.code, 1);
    assert.match(w.stderr, /error during connect: Get "https:\/\/127\.0\.0\.1:\d+\/v[\d.]+\/containers\/json": remote error: tls: certificate required/);
  });

  test('a client with a certificate from another CA is refused', () => {
    const r = docker(['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', path.join(certs, 'ca.pem'), '--tlscert', path.join(other, 'cert.pem'), '--tlskey', path.join(other, 'key.pem'), 'version', '--format', '{{.Server.Version}}']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error during connect: .*https:\/\/127\.0\.0\.1:\d+\//);
    assert.equal(r.stdout.trim(), '');
  });

  test('a server certificate from another CA is refused by the client', () => {
    const r = docker(['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', path.join(other, 'ca.pem'), '--tlscert', path.join(certs, 'cert.pem'), '--tlskey', path.join(certs, 'key.pem'), 'version', '--format', '{{.Server.Version}}']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /certificate signed by unknown authority/);
  });

  test('plain HTTP to the TLS port gets Go\'s answer', async () => {
    const r = docker(['-H', `tcp://127.0.0.1:${port}`, 'version', '--format', '{{.Server.Version}}']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Client sent an HTTP request to an HTTPS server\./);
    const raw = await tcpGet(port, '/_ping');
    assert.equal(raw.status, 400);
    assert.equal(raw.body, 'Client sent an HTTP request to an HTTPS server.\n');
  });

  test('--api-cors-header: the CORS headers of dockerd on answers, and OPTIONS (the preflight) answered', async () => {
    const r = await api(d.sock, 'GET', '/_ping', undefined, { Origin: 'https://ui.example' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['access-control-allow-origin'], 'https://ui.example');
    assert.equal(r.headers['access-control-allow-headers'], 'Origin, X-Requested-With, Content-Type, Accept, X-Registry-Auth');
    assert.equal(r.headers['access-control-allow-methods'], 'HEAD, GET, POST, DELETE, PUT, OPTIONS');
    const pre = await api(d.sock, 'OPTIONS', '/v1.50/containers/create', undefined, { Origin: 'https://ui.example', 'Access-Control-Request-Method': 'POST' });
    assert.equal(pre.status, 200);
    assert.equal(pre.headers['access-control-allow-origin'], 'https://ui.example');
    assert.equal(pre.headers['access-control-allow-methods'], 'HEAD, GET, POST, DELETE, PUT, OPTIONS');
    // Errors carry them too (a browser reads the message).
    const missing = await api(d.sock, 'GET', '/containers/nope/json');
    assert.equal(missing.status, 404);
    assert.equal(missing.headers['access-control-allow-origin'], 'https://ui.example');
  });
});

describe('plain TCP with --tls=false, host:port and :port, -G and --api-enable-cors', () => {
  const d = daemon();
  let p1 = 0;
  let p2 = 0;
  before(async () => {
    const add = spawnSync('groupadd', [group], { encoding: 'utf8' });
    assert.equal(add.status, 0, add.stderr);
    groupMade = true;
    p1 = await freePort();
    p2 = await freePort();
    await d.start(['-H', `127.0.0.1:${p1}`, '-H', `:${p2}`, '--tls=false', '-G', group, '--api-enable-cors']);
  });

  test('both forms listen on loopback and answer plain HTTP; --api-enable-cors is origin "*"', async () => {
    for (const port of [p1, p2]) {
      const r = await tcpGet(port, '/_ping');
      assert.equal(r.status, 200);
      assert.equal(r.body, 'OK');
      assert.equal(r.headers['access-control-allow-origin'], '*');
    }
    assert.match(d.log, new RegExp(`"host":"tcp://127\\.0\\.0\\.1:${p1}".*"msg":"API listen on"`));
    assert.match(d.log, new RegExp(`"host":"tcp://127\\.0\\.0\\.1:${p2}".*"msg":"API listen on"`));
  });

  test('the daemon warns loudly, in dockerd\'s words, for each TCP listener without --tlsverify', () => {
    for (const port of [p1, p2]) {
      const host = port === p1 ? `tcp://127.0.0.1:${port}` : `tcp://localhost:${port}`;
      assert.ok(d.log.includes(`"host":"${host}","msg":"Binding to IP address without --tlsverify is insecure and gives root access on this machine to everyone who has access to your network."`), d.log);
      assert.ok(d.log.includes(`"host":"${host}","msg":"Binding to an IP address, even on localhost, can also give access to scripts run in a browser. Be safe out there!"`), d.log);
    }
    assert.match(d.log, /"level":40/);
  });

  test('-G: the unix socket belongs to that group, mode 0660', () => {
    const gid = Number(spawnSync('getent', ['group', group], { encoding: 'utf8' }).stdout.split(':')[2]);
    const st = statSync(d.sock);
    assert.equal(st.gid, gid);
    assert.equal(st.mode & 0o777, 0o660);
  });

  test('the docker CLI over plain TCP; docker info warns of each listener without encryption, in dockerd\'s words', () => {
    const r = runSync(DOCKER, ['-H', `tcp://127.0.0.1:${p1}`, 'info', '--format', '{{.ServerVersion}}'], { ...process.env, DOCKER_CONFIG: path.join(d.dir, 'docker-config') });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+$/);
    const w = runSync(DOCKER, ['-H', `tcp://127.0.0.1:${p1}`, 'info', '--format', '{{json .Warnings}}'], { ...process.env, DOCKER_CONFIG: path.join(d.dir, 'docker-config') });
    const warnings = JSON.parse(w.stdout) as string[];
    assert.ok(warnings.some((x) => x.startsWith(`WARNING: API is accessible on http://127.0.0.1:${p1} without encryption.\n`) && x.includes("to the 'Docker daemon attack surface' section")), w.stdout);
    assert.ok(warnings.some((x) => x.startsWith(`WARNING: API is accessible on http://localhost:${p2} without encryption.`)), w.stdout);
  });
});

describe('systemd socket activation (fd://)', () => {
  /** wharfd under systemd-socket-activate on the given sockets; the first connection starts it. */
  async function activated(d: TestDaemon, sockets: string[], host: string, extra: string[] = []): Promise<void> {
    const args = [...sockets.flatMap((s) => ['-l', s]), WHARFD, '-H', host, '--data-root', d.dataRoot, '--exec-root', d.execRoot, '--pidfile', path.join(d.dir, 'wharfd.pid'), '--bridge', 'none', ...extra];
    const proc = spawn('/usr/bin/systemd-socket-activate', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    d.proc = proc;
    proc.stdout?.on('data', (b: Buffer) => (d.log += b.toString()));
    proc.stderr?.on('data', (b: Buffer) => (d.log += b.toString()));
    const deadline = Date.now() + 30_000;
    while (!sockets.every((s) => existsSync(s))) {
      if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`systemd-socket-activate did not listen: ${d.log}`);
      await sleep(50);
    }
  }

  async function pinged(sock: string, d: TestDaemon): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (await ping(sock)) return;
      if (d.proc?.exitCode !== null) throw new Error(`wharfd exited: ${d.log}`);
      await sleep(100);
    }
    throw new Error(`wharfd did not answer on ${sock}: ${d.log}`);
  }

  test('fd:// serves every activated socket (no CORS headers by default)', async () => {
    const d = daemon();
    const a = path.join(d.dir, 'a.sock');
    const b = path.join(d.dir, 'b.sock');
    await activated(d, [a, b], 'fd://');
    await pinged(b, d);
    assert.ok(await ping(a));
    assert.match(d.log, /"host":"fd:\/\/3".*"msg":"API listen on"/);
    assert.match(d.log, /"host":"fd:\/\/4".*"msg":"API listen on"/);
    const r = await api(a, 'GET', '/_ping', undefined, { Origin: 'https://ui.example' });
    assert.equal(r.headers['access-control-allow-origin'], undefined);
    const pre = await api(a, 'OPTIONS', '/containers/json');
    assert.equal(pre.status, 200);
    await d.cleanup();
  });

  test('fd://4 serves that one and closes the others', async () => {
    const d = daemon();
    const a = path.join(d.dir, 'a.sock');
    const b = path.join(d.dir, 'b.sock');
    await activated(d, [a, b], 'fd://4');
    await pinged(b, d);
    assert.equal(await ping(a), false);
    assert.doesNotMatch(d.log, /"host":"fd:\/\/3"/);
    await d.cleanup();
  });
});

describe('what wharfd refuses at startup (exit 1, dockerd\'s words)', () => {
  test('a plain TCP listener without --tlsverify, unless --tls=false', async () => {
    const r = wharfdRefuses(['-H', `tcp://127.0.0.1:${await freePort()}`]);
    assert.equal(r.code, 1);
    assert.match(r.out, /failed to load listeners: Binding to IP address without --tlsverify is insecure and gives root access on this machine to everyone who has access to your network/);
    assert.match(r.out, /explicitly specifying '--tls=false' or '--tlsverify=false'/);
    // --tls without --tlsverify: encrypted, but anyone may connect: refused as well.
    const tlsOnly = wharfdRefuses(['-H', `tcp://127.0.0.1:${await freePort()}`, '--tls', '--tlscert', path.join(certs, 'server-cert.pem'), '--tlskey', path.join(certs, 'server-key.pem')]);
    assert.equal(tlsOnly.code, 1);
    assert.match(tlsOnly.out, /without --tlsverify/);
  });

  test('fd:// when systemd passed no socket', () => {
    const r = wharfdRefuses(['-H', 'fd://'], { LISTEN_FDS: '', LISTEN_PID: '' });
    assert.equal(r.code, 1);
    assert.match(r.out, /no sockets found via socket activation: make sure the service was started by systemd/);
  });

  test('-G naming a group that does not exist', () => {
    const r = wharfdRefuses(['-H', `unix://${path.join(tmp, 'g.sock')}`, '-G', 'wharf-no-such-group']);
    assert.equal(r.code, 1);
    assert.match(r.out, /failed to load listeners: group wharf-no-such-group not found/);
  });

  test('TLS files that do not load, and a host of no known kind', async () => {
    const port = await freePort();
    const ca = wharfdRefuses(['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', path.join(tmp, 'nope.pem'), '--tlscert', path.join(certs, 'server-cert.pem'), '--tlskey', path.join(certs, 'server-key.pem')]);
    assert.equal(ca.code, 1);
    assert.ok(ca.out.includes(`invalid TLS configuration: could not read CA certificate \\"${path.join(tmp, 'nope.pem')}\\": open ${path.join(tmp, 'nope.pem')}: no such file or directory`), ca.out);
    const key = wharfdRefuses(['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', path.join(certs, 'ca.pem'), '--tlscert', path.join(certs, 'server-cert.pem'), '--tlskey', path.join(other, 'server-key.pem')]);
    assert.equal(key.code, 1);
    assert.match(key.out, /invalid TLS configuration: Error reading X509 key pair/);
    const proto = wharfdRefuses(['-H', 'udp://127.0.0.1:53']);
    assert.equal(proto.code, 1);
    assert.match(proto.out, /invalid bind address \(udp:\/\/127\.0\.0\.1:53\): unsupported proto 'udp'/);
  });
});
