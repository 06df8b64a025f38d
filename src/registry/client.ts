import type { Readable } from 'node:stream';
import { WharfError } from '../domain/errors';
import { basicAuth, parseChallenge, type Challenge, type Credentials } from './auth';
import { drain, readBody, request, TimeoutError, type HttpResponse } from './http';

/** How the daemon reaches registries: --insecure-registry, the time-out, concurrency. */
export interface RegistryOptions {
  /** Registries (host[:port]) that may be plain HTTP or have an unchecked certificate, beside localhost. */
  insecureRegistries: string[];
  /** No byte from a registry for this long fails the request. */
  timeoutMs: number;
  maxConcurrentDownloads: number;
  maxConcurrentUploads: number;
}

export const DEFAULT_REGISTRY_OPTIONS: RegistryOptions = { insecureRegistries: [], timeoutMs: 30_000, maxConcurrentDownloads: 3, maxConcurrentUploads: 5 };

/** Where the API of a registry named in a reference lives: the Docker Hub's is elsewhere. */
export function apiHostOf(domain: string): string {
  return domain === 'docker.io' ? 'registry-1.docker.io' : domain;
}

/** Registries on the loopback (and those named by --insecure-registry) may be plain HTTP. */
export function isInsecure(domain: string, opts: RegistryOptions): boolean {
  const host = domain.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host === '::1' || /^127\./.test(host)) return true;
  return opts.insecureRegistries.some((r) => r === domain || r === host);
}

/** Which scheme answered for an insecure registry: found once per daemon. */
const schemes = new Map<string, 'https:' | 'http:'>();

/** A registry's error: code (MANIFEST_UNKNOWN ...) and Docker's text for it. */
export class RegistryError extends WharfError {
  constructor(
    kind: ConstructorParameters<typeof WharfError>[0],
    message: string,
    readonly status: number,
    readonly code?: string,
  ) {
    super(kind, message);
  }
}

/** "manifest unknown: manifest unknown", from the registry's {"errors":[{code,message}]}, or the status line. */
export async function registryError(res: HttpResponse, what: string): Promise<RegistryError> {
  const body = await readBody(res, 1 << 20).catch(() => Buffer.alloc(0));
  let code: string | undefined;
  let text = '';
  try {
    const errs = (JSON.parse(body.toString('utf8')) as { errors?: { code?: string; message?: string }[] }).errors ?? [];
    if (errs.length) {
      code = errs[0].code;
      text = errs.map((e) => `${(e.code ?? 'unknown').toLowerCase().replace(/_/g, ' ')}: ${e.message ?? ''}`).join(', ');
    }
  } catch {
    // not JSON: the status line says it
  }
  if (!text) text = `${what}: received unexpected HTTP status: ${res.status} ${res.statusText}`;
  const kind = res.status === 401 ? 'unauthorized' : res.status === 403 ? 'forbidden' : res.status === 404 ? 'not-found' : res.status >= 500 ? 'internal' : 'invalid-argument';
  return new RegistryError(kind, text, res.status, code);
}

export interface SendOptions {
  headers?: Record<string, string>;
  body?: Buffer | string | Readable;
}

/**
 * A session with one repository of one registry: the scheme found, the auth challenge
 * answered (basic, or a bearer token for the repository's scope), every request timed.
 */
export class RegistrySession {
  private authorization?: string;
  private challenge?: Challenge;
  readonly apiHost: string;

  constructor(
    readonly domain: string,
    /** The repository path ("library/busybox", "team/app"); "" for registry-wide calls. */
    readonly repo: string,
    /** What the session will do: pull, push (the bearer token's scope). */
    private readonly actions: string[],
    private readonly creds: Credentials | undefined,
    private readonly opts: RegistryOptions,
  ) {
    this.apiHost = apiHostOf(domain);
  }

  /** "localhost:5000/app": the repository as it is named in repo digests and mounts. */
  get name(): string {
    return `${this.domain}/${this.repo}`;
  }

  private async scheme(): Promise<'https:' | 'http:'> {
    if (!isInsecure(this.domain, this.opts)) return 'https:';
    const known = schemes.get(this.apiHost);
    if (known) return known;
    // As Docker does for insecure registries: HTTPS (any certificate) first, then plain HTTP.
    try {
      const res = await request({ method: 'GET', url: new URL(`https://${this.apiHost}/v2/`), idleTimeoutMs: Math.min(this.opts.timeoutMs, 5000), insecureTls: true });
      await drain(res);
      schemes.set(this.apiHost, 'https:');
    } catch {
      schemes.set(this.apiHost, 'http:');
    }
    return schemes.get(this.apiHost)!;
  }

  async url(pathAndQuery: string): Promise<URL> {
    return new URL(`${await this.scheme()}//${this.apiHost}${pathAndQuery}`);
  }

  /** A request to the registry; a 401 is answered once with the challenge's credentials. */
  async send(method: string, pathOrUrl: string, o: SendOptions = {}): Promise<HttpResponse> {
    const url = /^https?:/.test(pathOrUrl) ? new URL(pathOrUrl) : await this.url(pathOrUrl);
    const ask = async () => {
      const r = await this.getRequest(url.href);
      return request({ ...r, method, headers: { ...(o.headers ?? {}), ...r.headers }, body: o.body });
    };
    const go = () =>
      ask().catch((e: Error) => {
        throw this.unreachable(method, url, e);
      });
    let res = await go();
    if (res.status === 401 && !this.authorization && (o.body === undefined || typeof o.body === 'string' || Buffer.isBuffer(o.body))) {
      const challenge = parseChallenge(res.headers['www-authenticate']);
      await drain(res);
      if (!challenge) throw new RegistryError('unauthorized', 'unauthorized: authentication required', 401, 'UNAUTHORIZED');
      await this.authorize(challenge).catch((e: RegistryError) => {
        throw new RegistryError(e.kind, `${method[0]}${method.slice(1).toLowerCase()} "${url.href}": ${e.message}`, e.status, e.code);
      });
      res = await go();
    }
    return res;
  }

  /** What a request to a path or URL of this registry carries (its URL, credentials, time-out and TLS check): send() and pooledGet use it. */
  async getRequest(pathOrUrl: string): Promise<{ url: URL; headers: Record<string, string>; idleTimeoutMs: number; insecureTls: boolean }> {
    const url = /^https?:/.test(pathOrUrl) ? new URL(pathOrUrl) : await this.url(pathOrUrl);
    return { url, headers: this.authorization ? { Authorization: this.authorization } : {}, idleTimeoutMs: this.opts.timeoutMs, insecureTls: isInsecure(this.domain, this.opts) };
  }

  /** Find out how the registry wants to be spoken to (GET /v2/), and get the credentials it asks for. */
  async ping(): Promise<void> {
    const res = await this.send('GET', '/v2/');
    if (res.status === 200) return void (await drain(res));
    throw await registryError(res, `GET ${res.body.url ?? '/v2/'}`);
  }

  private async authorize(challenge: Challenge): Promise<void> {
    this.challenge = challenge;
    if (challenge.scheme === 'basic') {
      if (!this.creds?.username) throw new RegistryError('unauthorized', 'no basic auth credentials', 401, 'UNAUTHORIZED');
      this.authorization = basicAuth(this.creds);
      return;
    }
    if (this.creds?.registrytoken) {
      this.authorization = `Bearer ${this.creds.registrytoken}`;
      return;
    }
    this.authorization = `Bearer ${await this.token(challenge)}`;
  }

  /** The bearer-token flow: GET realm?service=...&scope=repository:<repo>:<actions> with basic credentials when there are any. */
  private async token(challenge: Challenge): Promise<string> {
    const realm = challenge.params.realm;
    if (!realm) throw new RegistryError('unauthorized', 'unauthorized: the registry asked for a token without a realm', 401);
    const u = new URL(realm);
    if (challenge.params.service) u.searchParams.set('service', challenge.params.service);
    const scope = this.repo ? `repository:${this.repo}:${this.actions.join(',')}` : challenge.params.scope;
    if (scope) u.searchParams.set('scope', scope);
    if (this.creds?.username) u.searchParams.set('account', this.creds.username);
    const headers: Record<string, string> = {};
    if (this.creds?.username) headers.Authorization = basicAuth(this.creds);
    const res = await request({ method: 'GET', url: u, headers, idleTimeoutMs: this.opts.timeoutMs, insecureTls: isInsecure(u.host, this.opts) }).catch((e: Error) => {
      throw this.unreachable('GET', u, e);
    });
    if (res.status === 401 || res.status === 403) {
      await drain(res);
      throw new RegistryError('unauthorized', 'unauthorized: incorrect username or password', 401, 'UNAUTHORIZED');
    }
    if (res.status !== 200) throw await registryError(res, `GET ${u.origin}${u.pathname}`);
    const body = JSON.parse((await readBody(res)).toString('utf8')) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError('unauthorized', 'unauthorized: the token server gave no token', 401);
    return token;
  }

  /** Was the last challenge answered with credentials (used by login to report what it checked)? */
  get challenged(): Challenge | undefined {
    return this.challenge;
  }

  /** Go's words for a request that got no answer: `Get "http://host/v2/": dial tcp host: connect: connection refused`. */
  unreachable(method: string, url: URL, e: Error): Error {
    const verb = `${method[0]}${method.slice(1).toLowerCase()} "${url.href}"`;
    if (e instanceof TimeoutError) return new RegistryError('unavailable', `${verb}: ${e.message.replace(/^.*?: /, '')}`, 0);
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ECONNREFUSED' ? `dial tcp ${url.host}: connect: connection refused` : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? `dial tcp: lookup ${url.hostname}: no such host` : e.message;
    return new RegistryError('internal', `${verb}: ${why}`, 0);
  }
}
