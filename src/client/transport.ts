/**
 * How a request reaches the daemon: where (a unix socket, or tcp host and port, from -H,
 * DOCKER_HOST or the default) and over what (node:http with its agent). Everything about the
 * connection lives here; what is asked (paths, bodies, answers) is in request.ts and the nouns.
 */
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';

export const DEFAULT_HOST = 'unix:///var/run/wharf.sock';

/** The daemon could not be reached at all. */
export class ConnectionError extends Error {
  constructor(
    readonly host: string,
    readonly cause: Error,
  ) {
    super(`Cannot connect to the Wharf daemon at ${host}. Is the wharf daemon running?`);
    this.name = 'ConnectionError';
  }
}

/** Where to connect, from -H/--host, else DOCKER_HOST, else the default socket (tcp://localhost:2376 with TLS, as docker's). */
export function resolveHost(host?: string, env: NodeJS.ProcessEnv = process.env, tls = false): string {
  return host || env.DOCKER_HOST || (tls ? DEFAULT_TLS_HOST : DEFAULT_HOST);
}
export const DEFAULT_TLS_HOST = 'tcp://localhost:2376';

/** TLS towards a tcp:// daemon. */
export interface ClientTls {
  /** --tlsverify: the daemon's certificate must be signed by the CA and name the host. */
  verify: boolean;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** --tls, --tlsverify (true, false or not given), --tlscacert, --tlscert, --tlskey; --config for the default directory. */
export interface ClientTlsFlags {
  tls?: boolean;
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
  config?: string;
}

/**
 * The docker CLI's rules: DOCKER_TLS_VERIFY (non-empty) is --tlsverify; --tlsverify given at all
 * turns TLS on; the files default to $DOCKER_CERT_PATH, else the config directory; a default
 * certificate or key that does not exist is left out (a client without a certificate).
 */
export function resolveTls(f: ClientTlsFlags, env: NodeJS.ProcessEnv = process.env): ClientTls | undefined {
  const verify = f.tlsverify ?? Boolean(env.DOCKER_TLS_VERIFY);
  if (!f.tls && f.tlsverify === undefined && !verify) return undefined;
  const dir = env.DOCKER_CERT_PATH || f.config || env.DOCKER_CONFIG || path.join(os.homedir(), '.docker');
  const read = (file: string) => {
    try {
      return readFileSync(file);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new Error(`unable to resolve docker endpoint: ${err.code === 'ENOENT' ? `open ${file}: no such file or directory` : err.message}`);
    }
  };
  const optional = (given: string | undefined, name: string) => (given ? read(given) : existsSync(path.join(dir, name)) ? read(path.join(dir, name)) : undefined);
  const ca = verify ? read(f.tlscacert || path.join(dir, 'ca.pem')) : optional(f.tlscacert, 'ca.pem');
  return { verify, ca, cert: optional(f.tlscert, 'cert.pem'), key: optional(f.tlskey, 'key.pem') };
}

export type Target = { socketPath: string } | { host: string; port: number };

export function parseHost(host: string): Target {
  if (host.startsWith('unix://')) {
    const p = host.slice('unix://'.length);
    if (!p) throw new Error(`invalid host: ${host}`);
    return { socketPath: p };
  }
  if (host.startsWith('/')) return { socketPath: host };
  const m = /^(?:tcp|http):\/\/(\[[^\]]+\]|[^:/]*)(?::(\d+))?\/?$/.exec(host);
  if (m) return { host: m[1].replace(/^\[|\]$/g, '') || '127.0.0.1', port: m[2] ? Number(m[2]) : 2375 };
  throw new Error(`invalid host: ${host}: only unix:// and tcp:// are supported`);
}

/** One connection to the daemon's API: opens the requests, and says when it could not. */
export class Transport {
  readonly host: string;
  private readonly target: Target;
  private readonly agent: http.Agent;
  /** TLS (a tcp:// daemon only): requests go through https. */
  private readonly tls: boolean;

  constructor(host?: string, tls?: ClientTls) {
    this.host = resolveHost(host, process.env, tls !== undefined);
    this.target = parseHost(this.host);
    this.tls = tls !== undefined && !('socketPath' in this.target);
    this.agent = this.tls
      ? new https.Agent({ keepAlive: false, ca: tls?.ca, cert: tls?.cert, key: tls?.key, rejectUnauthorized: tls?.verify ?? false, minVersion: 'TLSv1.2' })
      : new http.Agent({ keepAlive: false });
  }

  /** The options of one request: what it asks (method, path, headers, signal) and where it goes. */
  options(method: string, path: string, headers: Record<string, string>, signal?: AbortSignal): http.RequestOptions {
    const base: http.RequestOptions = { method, path, headers, agent: this.agent, signal };
    if ('socketPath' in this.target) base.socketPath = this.target.socketPath;
    else {
      base.host = this.target.host;
      base.port = this.target.port;
    }
    return base;
  }

  /** Open a request made with options(). */
  request(options: http.RequestOptions, onResponse?: (res: http.IncomingMessage) => void): http.ClientRequest {
    return this.tls ? https.request(options, onResponse) : http.request(options, onResponse);
  }

  /** A request's error as the caller should see it: a daemon not there is a ConnectionError; a TLS failure in docker's words. */
  failure(e: NodeJS.ErrnoException, method = 'GET', reqPath = '/'): Error {
    if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED' || e.code === 'EACCES') return new ConnectionError(this.host, e);
    if (!this.tls) return e;
    const t = this.target as { host: string; port: number };
    // OpenSSL's alert ("...:tlsv13 alert certificate required:...") in Go's words ("remote error: tls: certificate required").
    const alert = /(?:sslv3|tlsv1\d?) alert ([a-z ]+)/.exec(e.message)?.[1];
    const why = alert ? `remote error: tls: ${alert === 'unknown ca' ? 'unknown certificate authority' : alert}` : e.message;
    return new Error(`error during connect: ${method[0]}${method.slice(1).toLowerCase()} "https://${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}${reqPath}": ${why}`);
  }

  close(): void {
    this.agent.destroy();
  }
}
