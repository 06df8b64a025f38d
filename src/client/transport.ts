/**
 * How a request reaches the daemon: where (a unix socket, or tcp host and port, from -H,
 * DOCKER_HOST or the default) and over what (node:http with its agent). Everything about the
 * connection lives here; what is asked (paths, bodies, answers) is in request.ts and the nouns.
 */
import http from 'node:http';

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

/** Where to connect, from -H/--host, else DOCKER_HOST, else the default socket. */
export function resolveHost(host?: string, env: NodeJS.ProcessEnv = process.env): string {
  return host || env.DOCKER_HOST || DEFAULT_HOST;
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

  constructor(host?: string) {
    this.host = resolveHost(host);
    this.target = parseHost(this.host);
    this.agent = new http.Agent({ keepAlive: false });
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
    return http.request(options, onResponse);
  }

  /** A request's error as the caller should see it: a daemon not there is a ConnectionError. */
  failure(e: NodeJS.ErrnoException): Error {
    if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED' || e.code === 'EACCES') return new ConnectionError(this.host, e);
    return e;
  }

  close(): void {
    this.agent.destroy();
  }
}
