import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSign, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { sleep } from './wharfd';

/** A free loopback port (bound and released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * The real registry (apt docker-registry, distribution 2.8) on 127.0.0.1 and a free port,
 * storing under a temp dir; with htpasswd, basic auth for one user.
 */
export class TestRegistry {
  readonly dir: string;
  port = 0;
  proc?: ChildProcess;
  log = '';

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** `parent`: where its dir goes (the benches put it in their own dir, which they clean). */
  constructor(parent = os.tmpdir()) {
    this.dir = mkdtempSync(path.join(parent, 'wharf-test-registry-'));
  }

  static async start(o: { user?: string; password?: string; parent?: string; token?: TokenServer } = {}): Promise<TestRegistry> {
    const r = new TestRegistry(o.parent);
    r.port = await freePort();
    let auth = '';
    if (o.token) {
      const t = o.token;
      auth = `auth:\n  token:\n    realm: ${t.realm}\n    service: ${t.service}\n    issuer: ${t.issuer}\n    rootcertbundle: ${t.certPath}\n`;
    } else if (o.user) {
      const h = spawnSync('htpasswd', ['-Bbn', o.user, o.password ?? ''], { encoding: 'utf8' });
      if (h.status !== 0) throw new Error(`htpasswd: ${h.stderr}`);
      writeFileSync(path.join(r.dir, 'htpasswd'), h.stdout);
      auth = `auth:\n  htpasswd:\n    realm: basic-realm\n    path: ${path.join(r.dir, 'htpasswd')}\n`;
    }
    const config = `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(r.dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${r.port}\n${auth}`;
    writeFileSync(path.join(r.dir, 'config.yml'), config);
    const proc = spawn('docker-registry', ['serve', path.join(r.dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    r.proc = proc;
    proc.stdout?.on('data', (d: Buffer) => (r.log += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (r.log += d.toString()));
    for (let i = 0; i < 100; i++) {
      if (proc.exitCode !== null) throw new Error(`docker-registry exited: ${r.log}`);
      const status = await new Promise<number>((resolve) => {
        const req = http.get(`http://${r.host}/v2/`, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', () => resolve(0));
      });
      if (status === 200 || status === 401) return r;
      await sleep(100);
    }
    throw new Error(`docker-registry did not come up: ${r.log}`);
  }

  /** Where the registry keeps a blob's bytes (its filesystem driver's layout). */
  blobFile(digest: string): string {
    const hex = digest.replace(/^sha256:/, '');
    return path.join(this.dir, 'data', 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (p && p.exitCode === null && p.signalCode === null) {
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      await gone;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export type Fault = 'pass' | 'error500' | 'hang' | 'truncate' | 'mangle';

/**
 * A loopback proxy in front of the real registry that logs every request and can make
 * one fail: answer 500, never answer, cut a body in half, or change a byte of the body
 * (headers, Docker-Content-Digest included, as the registry sent them). The registry behind it is
 * untouched; only what reaches the daemon changes.
 */
export class FaultProxy {
  readonly requests: { method: string; path: string }[] = [];
  fault: (method: string, path: string) => Fault = () => 'pass';
  private server?: http.Server;
  private sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly target: string) {}

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  /** Requests to blobs of this digest (GETs) seen so far. */
  blobGets(digest: string): number {
    return this.requests.filter((r) => r.method === 'GET' && r.path.includes(`/blobs/${digest}`)).length;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const p = req.url ?? '/';
    this.requests.push({ method: req.method ?? '', path: p });
    const fault = this.fault(req.method ?? '', p);
    if (fault === 'hang') return; // the socket stays open, silent
    if (fault === 'error500') {
      req.resume();
      res.writeHead(500, { 'Content-Type': 'text/plain' }).end('injected failure\n');
      return;
    }
    const up = http.request(`http://${this.target}${p}`, { method: req.method, headers: { ...req.headers, host: this.target } }, (ur) => {
      const headers = { ...ur.headers };
      // Location headers point at the registry: send them back through the proxy.
      if (typeof headers.location === 'string') headers.location = headers.location.replace(this.target, this.host);
      if (fault === 'mangle') delete headers['content-length'];
      res.writeHead(ur.statusCode ?? 502, headers);
      if (fault === 'mangle') {
        const parts: Buffer[] = [];
        ur.on('data', (c: Buffer) => parts.push(c));
        ur.on('end', () => {
          const body = Buffer.concat(parts);
          // A space before the closing brace: still valid JSON, another digest.
          res.end(Buffer.concat([body.subarray(0, body.lastIndexOf('}')), Buffer.from(' '), body.subarray(body.lastIndexOf('}'))]));
        });
        return;
      }
      if (fault === 'truncate') {
        const half = Math.floor(Number(ur.headers['content-length'] ?? 0) / 2);
        let sent = 0;
        ur.on('data', (c: Buffer) => {
          if (sent >= half) return;
          const part = c.subarray(0, half - sent);
          sent += part.length;
          res.write(part);
          if (sent >= half) res.destroy();
        });
        return;
      }
      ur.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server?.close(r));
  }
}

/**
 * A token server for the registry's bearer-token auth (distribution's `auth: token`): it
 * checks basic credentials of one user and answers with a JWT (RS256, its self-signed
 * certificate in the x5c header, which the registry trusts as its root bundle) granting
 * what the scope asks; an anonymous request gets a token that grants nothing.
 */
export class TokenServer {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-test-token-'));
  readonly service = 'wharf-test-registry';
  readonly issuer = 'wharf-test-issuer';
  readonly certPath = path.join(this.dir, 'cert.pem');
  /** Each token request: the account it named and the scopes it asked for. */
  readonly requests: { account: string; scopes: string[]; authorized: boolean }[] = [];
  private server?: http.Server;
  private key = '';
  private certDer = '';
  port = 0;

  constructor(private readonly user: string, private readonly password: string) {}

  get realm(): string {
    return `http://127.0.0.1:${this.port}/token`;
  }

  async start(): Promise<this> {
    const keyPath = path.join(this.dir, 'key.pem');
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=wharf-test-token', '-days', '2', '-keyout', keyPath, '-out', this.certPath], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
    this.key = readFileSync(keyPath, 'utf8');
    this.certDer = new X509Certificate(readFileSync(this.certPath)).raw.toString('base64');
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((ok) => this.server!.listen(0, '127.0.0.1', ok));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', this.realm);
    const scopes = url.searchParams.getAll('scope');
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const [user, password] = basic ? Buffer.from(basic, 'base64').toString().split(/:(.*)/s) : ['', ''];
    this.requests.push({ account: url.searchParams.get('account') ?? '', scopes, authorized: Boolean(basic) });
    if (basic && (user !== this.user || password !== this.password)) {
      res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ details: 'incorrect username or password' }));
      return;
    }
    const access = basic
      ? scopes.flatMap((s) => {
          const [type, name, actions] = [s.slice(0, s.indexOf(':')), s.slice(s.indexOf(':') + 1, s.lastIndexOf(':')), s.slice(s.lastIndexOf(':') + 1)];
          return type ? [{ type, name, actions: actions.split(',') }] : [];
        })
      : [];
    const now = Math.floor(Date.now() / 1000);
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const head = b64({ typ: 'JWT', alg: 'RS256', x5c: [this.certDer] });
    const claims = b64({ iss: this.issuer, sub: basic ? user : '', aud: this.service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access });
    const signature = createSign('RSA-SHA256').update(`${head}.${claims}`).sign(this.key).toString('base64url');
    const token = `${head}.${claims}.${signature}`;
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }));
  }

  async stop(): Promise<void> {
    await new Promise((r) => this.server?.close(r));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
