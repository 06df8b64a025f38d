/**
 * A small typed client for the Docker Engine API that wharfd serves, over a unix socket (or tcp,
 * plain or TLS), using only node:http(s). Paths are prefixed with the API version the CLI speaks.
 */
import { existsSync, readFileSync } from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';

/** The API version this client speaks (the daemon's API_VERSION in src/daemon/daemon.ts). */
export const CLIENT_API_VERSION = '1.50';
export const DEFAULT_HOST = 'unix:///var/run/wharf.sock';

export type Query = Record<string, string | number | boolean | string[] | undefined>;

/** An error answer from the daemon: the HTTP status and the daemon's `message`. */
export class ClientError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ClientError';
  }
}

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

export interface RequestOptions {
  query?: Query;
  /** A JSON value (sent as application/json), a buffer/string, or a stream piped as the body. */
  body?: unknown;
  /** Set when body is a Buffer, string or stream; JSON bodies get application/json. */
  contentType?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** The API version to ask for, when a route exists only in an old one (insert: before 1.12). */
  apiVersion?: string;
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

type Target = { socketPath: string } | { host: string; port: number };

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

export function encodeQuery(q: Query | undefined): string {
  if (!q) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    const vals = Array.isArray(v) ? v : [typeof v === 'boolean' ? (v ? '1' : '0') : String(v)];
    for (const x of vals) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(x)}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

/** Docker's filters query parameter: {"key":{"value":true}}. */
export function encodeFilters(filters: Record<string, string[]>): string | undefined {
  const keys = Object.keys(filters).filter((k) => filters[k].length > 0);
  if (keys.length === 0) return undefined;
  const obj: Record<string, Record<string, boolean>> = {};
  for (const k of keys.sort()) obj[k] = Object.fromEntries(filters[k].map((v) => [v, true]));
  return JSON.stringify(obj);
}

// ---- Shapes of what the daemon sends back (the parts the CLI uses). ----

export interface VersionResponse {
  Platform?: { Name: string };
  Components?: { Name: string; Version: string; Details?: Record<string, string> }[];
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  GitCommit?: string;
  GoVersion?: string;
  Os: string;
  Arch: string;
  KernelVersion?: string;
  BuildTime?: string;
  Experimental?: boolean;
}

export type InfoResponse = Record<string, unknown> & {
  ID?: string;
  Containers?: number;
  ContainersRunning?: number;
  ContainersPaused?: number;
  ContainersStopped?: number;
  Images?: number;
  ServerVersion?: string;
  Driver?: string;
  DriverStatus?: [string, string][] | null;
  DockerRootDir?: string;
};

export interface ImageSummary {
  Id: string;
  ParentId?: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: number;
  Size: number;
  SharedSize?: number;
  VirtualSize?: number;
  Labels?: Record<string, string> | null;
  Containers?: number;
}

export interface ContainerPort {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  Ports: ContainerPort[] | null;
  Labels: Record<string, string> | null;
  State: string;
  Status: string;
  SizeRw?: number;
  SizeRootFs?: number;
  Mounts?: { Name?: string; Source?: string; Destination?: string }[];
  NetworkSettings?: { Networks?: Record<string, unknown> | null };
}

export type ContainerInspect = Record<string, unknown> & {
  Id: string;
  Name: string;
  State: { Status: string; Running: boolean; ExitCode: number };
  Config: { Tty: boolean; OpenStdin?: boolean } & Record<string, unknown>;
};

export interface VolumeSummary {
  Name: string;
  Driver: string;
  Mountpoint: string;
  CreatedAt?: string;
  Labels: Record<string, string> | null;
  Options: Record<string, string> | null;
  Scope: string;
}

export interface CreateResponse {
  Id: string;
  Warnings: string[] | null;
}

export interface WaitResponse {
  StatusCode: number;
  Error?: { Message: string } | null;
}

export interface SearchResult {
  name: string;
  description: string;
  star_count: number;
  is_official: boolean;
  is_automated?: boolean;
}

export interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

export interface DiskUsage {
  LayersSize: number;
  Images: ImageSummary[] | null;
  Containers: ContainerSummary[] | null;
  Volumes: (VolumeSummary & { UsageData?: { Size: number; RefCount: number } })[] | null;
  BuildCache: { Size: number; Shared: boolean; InUse: boolean }[] | null;
}

export interface ImageDeleteItem {
  Untagged?: string;
  Deleted?: string;
}

export interface EventMessage {
  status?: string;
  id?: string;
  from?: string;
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> | null };
  scope?: string;
  time?: number;
  /** int64 nanoseconds kept exact (JSON numbers this large do not fit a double). */
  timeNano?: bigint;
}

export interface LogsOptions {
  stdout?: boolean;
  stderr?: boolean;
  follow?: boolean;
  tail?: string;
  timestamps?: boolean;
  since?: string;
  until?: string;
  details?: boolean;
}

export interface AttachOptions {
  stream?: boolean;
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  detachKeys?: string;
}

/** A hijacked connection: the raw socket plus any bytes that came with the 101 answer. */
export interface Hijacked {
  socket: Socket;
  head: Buffer;
  /** The content type the daemon announced (raw-stream for a tty, multiplexed otherwise). */
  contentType: string;
}

export class Client {
  readonly host: string;
  private readonly target: Target;
  private readonly agent: http.Agent;
  /** TLS (a tcp:// daemon only): requests go through https. */
  private readonly tls: boolean;

  constructor(
    host?: string,
    readonly debug: (msg: string) => void = () => undefined,
    tls?: ClientTls,
  ) {
    this.host = resolveHost(host, process.env, tls !== undefined);
    this.target = parseHost(this.host);
    this.tls = tls !== undefined && !('socketPath' in this.target);
    this.agent = this.tls
      ? new https.Agent({ keepAlive: false, ca: tls?.ca, cert: tls?.cert, key: tls?.key, rejectUnauthorized: tls?.verify ?? false, minVersion: 'TLSv1.2' })
      : new http.Agent({ keepAlive: false });
  }

  /** http.request, or https.request towards a TLS daemon. */
  private request(ro: http.RequestOptions, cb?: (res: IncomingMessage) => void): http.ClientRequest {
    return this.tls ? https.request(ro, cb) : http.request(ro, cb);
  }

  /** A failed connection, in docker's words. */
  private connectError(method: string, p: string, e: NodeJS.ErrnoException): Error {
    if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED' || e.code === 'EACCES') return new ConnectionError(this.host, e);
    if (!this.tls) return e;
    const t = this.target as { host: string; port: number };
    // OpenSSL's alert ("...:tlsv13 alert certificate required:...") in Go's words ("remote error: tls: certificate required").
    const alert = /(?:sslv3|tlsv1\d?) alert ([a-z ]+)/.exec(e.message)?.[1];
    const why = alert ? `remote error: tls: ${alert === 'unknown ca' ? 'unknown certificate authority' : alert}` : e.message;
    return new Error(`error during connect: ${method[0]}${method.slice(1).toLowerCase()} "https://${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}${this.path(p)}": ${why}`);
  }

  private path(p: string, query?: Query, apiVersion = CLIENT_API_VERSION): string {
    return `/v${apiVersion}${p}${encodeQuery(query)}`;
  }

  private baseOptions(method: string, p: string, opts: RequestOptions): http.RequestOptions {
    const headers: Record<string, string> = { 'User-Agent': `Wharf-Client/${CLIENT_API_VERSION} (linux)`, ...(opts.headers ?? {}) };
    const base: http.RequestOptions = { method, path: this.path(p, opts.query, opts.apiVersion), headers, agent: this.agent, signal: opts.signal };
    if ('socketPath' in this.target) base.socketPath = this.target.socketPath;
    else {
      base.host = this.target.host;
      base.port = this.target.port;
    }
    return base;
  }

  private static isStream(b: unknown): b is Readable {
    return typeof b === 'object' && b !== null && typeof (b as Readable).pipe === 'function';
  }

  /** Send a request; resolves with the response once its headers are in (any status). */
  raw(method: string, p: string, opts: RequestOptions = {}): Promise<IncomingMessage> {
    const ro = this.baseOptions(method, p, opts);
    const headers = ro.headers as Record<string, string>;
    let payload: Buffer | undefined;
    let stream: Readable | undefined;
    if (Client.isStream(opts.body)) {
      stream = opts.body;
      headers['Content-Type'] = opts.contentType ?? 'application/octet-stream';
    } else if (Buffer.isBuffer(opts.body) || typeof opts.body === 'string') {
      payload = Buffer.from(opts.body);
      headers['Content-Type'] = opts.contentType ?? 'text/plain';
    } else if (opts.body !== undefined) {
      payload = Buffer.from(JSON.stringify(opts.body));
      headers['Content-Type'] = 'application/json';
    }
    if (payload) headers['Content-Length'] = String(payload.length);
    this.debug(`${method} ${ro.path}`);
    return new Promise((resolve, reject) => {
      const req = this.request(ro, (res) => resolve(res));
      req.on('error', (e: NodeJS.ErrnoException) => reject(this.connectError(method, p, e)));
      if (stream) {
        stream.on('error', (e) => {
          req.destroy(e);
          reject(e);
        });
        stream.pipe(req);
      } else {
        req.end(payload);
      }
    });
  }

  /** A request whose answer is read as a stream; non-2xx answers become a ClientError. */
  async stream(method: string, p: string, opts: RequestOptions = {}): Promise<IncomingMessage> {
    const res = await this.raw(method, p, opts);
    const status = res.statusCode ?? 0;
    // 304 (already started / already stopped) is success for the docker API.
    if ((status < 200 || status >= 300) && status !== 304) throw await errorOf(res);
    return res;
  }

  /** A request whose answer is JSON (or empty: undefined). */
  async json<T>(method: string, p: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.stream(method, p, opts);
    const text = (await readAll(res)).toString('utf8');
    return (text.trim() === '' ? undefined : JSON.parse(text)) as T;
  }

  /** A request whose answer is JSON, kept as its raw text (for byte-faithful inspect output). */
  async text(method: string, p: string, opts: RequestOptions = {}): Promise<string> {
    const res = await this.stream(method, p, opts);
    return (await readAll(res)).toString('utf8');
  }

  /** Hijack a connection ("Upgrade: tcp", answered by 101) and hand back the socket. */
  upgrade(method: string, p: string, opts: RequestOptions = {}): Promise<Hijacked> {
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const ro = this.baseOptions(method, p, {
      ...opts,
      headers: {
        ...(opts.headers ?? {}),
        Connection: 'Upgrade',
        Upgrade: 'tcp',
        'Content-Type': payload ? 'application/json' : 'text/plain',
        ...(payload ? { 'Content-Length': String(payload.length) } : {}),
      },
    });
    this.debug(`${method} ${ro.path} (upgrade)`);
    return new Promise((resolve, reject) => {
      const req = this.request(ro);
      req.on('upgrade', (res: IncomingMessage, socket: Socket, head: Buffer) => {
        resolve({ socket, head, contentType: String(res.headers['content-type'] ?? '') });
      });
      req.on('response', (res) => {
        // The daemon refused to upgrade (e.g. 404 No such container).
        errorOf(res).then(reject, reject);
      });
      req.on('error', (e: NodeJS.ErrnoException) => reject(this.connectError(method, p, e)));
      req.end(payload);
    });
  }

  // ---- system ----

  async ping(): Promise<boolean> {
    const res = await this.raw('GET', '/_ping');
    await readAll(res);
    return res.statusCode === 200;
  }

  version(): Promise<VersionResponse> {
    return this.json('GET', '/version');
  }

  info(): Promise<InfoResponse> {
    return this.json('GET', '/info');
  }

  /** GET /events as a stream of JSON lines. */
  events(opts: { since?: string; until?: string; filters?: Record<string, string[]> } = {}, signal?: AbortSignal): Promise<IncomingMessage> {
    return this.stream('GET', '/events', { query: { since: opts.since, until: opts.until, filters: encodeFilters(opts.filters ?? {}) }, signal });
  }

  // ---- images ----

  /** POST /images/create?fromSrc=-: the archive is streamed as the body; resolves with the progress stream. */
  /** docker insert (Remote API 1.9 to 1.11): the file at url put at path in a new image; a JSON progress stream. */
  imageInsert(name: string, url: string, path: string): Promise<IncomingMessage> {
    return this.stream('POST', `/images/${encodeRef(name)}/insert`, { query: { url, path }, apiVersion: '1.11' });
  }

  imageImport(source: Readable | string, opts: { repo?: string; tag?: string; message?: string; changes?: string[] }): Promise<IncomingMessage> {
    const fromSrc = typeof source === 'string' ? source : '-';
    return this.stream('POST', '/images/create', {
      query: { changes: opts.changes?.length ? opts.changes : undefined, fromSrc, message: opts.message, repo: opts.repo, tag: opts.tag },
      body: typeof source === 'string' ? undefined : source,
      contentType: 'text/plain',
    });
  }

  /** POST /images/create?fromImage=: a pull; the answer is a JSON progress stream. */
  imagePull(image: string, tag?: string, opts: { registryAuth?: string; platform?: string } = {}): Promise<IncomingMessage> {
    return this.stream('POST', '/images/create', {
      query: { fromImage: image, tag, platform: opts.platform ? opts.platform.toLowerCase() : undefined },
      headers: opts.registryAuth ? { 'X-Registry-Auth': opts.registryAuth } : undefined,
    });
  }

  /** POST /images/{name}/push: a JSON progress stream. */
  imagePush(name: string, opts: { tag?: string; registryAuth?: string; platform?: string } = {}): Promise<IncomingMessage> {
    return this.stream('POST', `/images/${encodeRef(name)}/push`, {
      query: { tag: opts.tag, platform: opts.platform },
      headers: { 'X-Registry-Auth': opts.registryAuth ?? 'e30=' },
    });
  }

  /** POST /auth: the daemon checks the credentials with the registry. */
  registryLogin(auth: Record<string, string | undefined>): Promise<{ Status: string; IdentityToken?: string }> {
    return this.json('POST', '/auth', { body: auth });
  }

  imageSearch(term: string, opts: { limit?: number; filters?: Record<string, string[]>; registryAuth?: string } = {}): Promise<SearchResult[]> {
    return this.json('GET', '/images/search', {
      query: { term, limit: opts.limit ? String(opts.limit) : undefined, filters: encodeFilters(opts.filters ?? {}) },
      headers: opts.registryAuth ? { 'X-Registry-Auth': opts.registryAuth } : undefined,
    });
  }

  imageHistory(ref: string, platform?: string): Promise<HistoryItem[]> {
    return this.json('GET', `/images/${encodeRef(ref)}/history`, { query: { platform } });
  }

  imagePrune(filters: Record<string, string[]> = {}): Promise<{ ImagesDeleted: ImageDeleteItem[] | null; SpaceReclaimed: number }> {
    return this.json('POST', '/images/prune', { query: { filters: encodeFilters(filters) } });
  }

  buildCachePrune(all = false): Promise<{ CachesDeleted: string[] | null; SpaceReclaimed: number }> {
    return this.json('POST', '/build/prune', { query: all ? { all: '1' } : {} });
  }

  systemDf(): Promise<DiskUsage> {
    return this.json('GET', '/system/df');
  }

  imageList(opts: { all?: boolean; filters?: Record<string, string[]> } = {}): Promise<ImageSummary[]> {
    return this.json('GET', '/images/json', { query: { all: opts.all ? '1' : undefined, filters: encodeFilters(opts.filters ?? {}) } });
  }

  imageInspectRaw(ref: string): Promise<string> {
    return this.text('GET', `/images/${encodeRef(ref)}/json`);
  }

  async imageInspect(ref: string): Promise<Record<string, unknown>> {
    return JSON.parse(await this.imageInspectRaw(ref)) as Record<string, unknown>;
  }

  imageTag(source: string, repo: string, tag?: string): Promise<void> {
    return this.json('POST', `/images/${encodeRef(source)}/tag`, { query: { repo, tag } });
  }

  imageRemove(ref: string, opts: { force?: boolean; noprune?: boolean } = {}): Promise<ImageDeleteItem[]> {
    return this.json('DELETE', `/images/${encodeRef(ref)}`, { query: { force: opts.force ? '1' : undefined, noprune: opts.noprune ? '1' : undefined } });
  }

  // ---- containers ----

  containerCreate(body: Record<string, unknown>, name?: string): Promise<CreateResponse> {
    return this.json('POST', '/containers/create', { query: { name: name || undefined }, body });
  }

  containerList(opts: { all?: boolean; limit?: number; size?: boolean; filters?: Record<string, string[]> } = {}): Promise<ContainerSummary[]> {
    return this.json('GET', '/containers/json', {
      query: {
        all: opts.all ? '1' : undefined,
        limit: opts.limit !== undefined && opts.limit > 0 ? String(opts.limit) : undefined,
        size: opts.size ? '1' : undefined,
        filters: encodeFilters(opts.filters ?? {}),
      },
    });
  }

  containerInspectRaw(ref: string, opts: { size?: boolean } = {}): Promise<string> {
    return this.text('GET', `/containers/${encodeURIComponent(ref)}/json`, { query: { size: opts.size ? '1' : undefined } });
  }

  async containerInspect(ref: string): Promise<ContainerInspect> {
    return JSON.parse(await this.containerInspectRaw(ref)) as ContainerInspect;
  }

  containerStart(ref: string): Promise<void> {
    return this.json('POST', `/containers/${encodeURIComponent(ref)}/start`);
  }

  containerStop(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    return this.json('POST', `/containers/${encodeURIComponent(ref)}/stop`, { query: { t: opts.timeout, signal: opts.signal } });
  }

  containerKill(ref: string, signal?: string): Promise<void> {
    return this.json('POST', `/containers/${encodeURIComponent(ref)}/kill`, { query: { signal } });
  }

  containerRemove(ref: string, opts: { force?: boolean; volumes?: boolean; link?: boolean } = {}): Promise<void> {
    return this.json('DELETE', `/containers/${encodeURIComponent(ref)}`, { query: { force: opts.force ? '1' : undefined, v: opts.volumes ? '1' : undefined, link: opts.link ? '1' : undefined } });
  }

  /**
   * POST /containers/{id}/wait: resolves once the daemon has registered the waiter (headers
   * in); `result` then resolves with the exit status.
   */
  async containerWait(ref: string, condition?: string): Promise<{ result: Promise<WaitResponse> }> {
    const res = await this.stream('POST', `/containers/${encodeURIComponent(ref)}/wait`, { query: { condition } });
    const result = readAll(res).then((b) => {
      const text = b.toString('utf8').trim();
      if (!text) throw new Error('wait: connection closed before the container exited');
      return JSON.parse(text) as WaitResponse;
    });
    result.catch(() => undefined);
    return { result };
  }

  containerLogs(ref: string, opts: LogsOptions, signal?: AbortSignal): Promise<IncomingMessage> {
    return this.stream('GET', `/containers/${encodeURIComponent(ref)}/logs`, {
      query: {
        stdout: opts.stdout ?? true ? '1' : undefined,
        stderr: opts.stderr ?? true ? '1' : undefined,
        follow: opts.follow ? '1' : undefined,
        tail: opts.tail,
        timestamps: opts.timestamps ? '1' : undefined,
        since: opts.since,
        until: opts.until,
        details: opts.details ? '1' : undefined,
      },
      signal,
    });
  }

  /** Attach to a container over a hijacked connection. */
  attach(ref: string, opts: AttachOptions = { stream: true, stdout: true, stderr: true }): Promise<Hijacked> {
    return this.upgrade('POST', `/containers/${encodeURIComponent(ref)}/attach`, {
      query: {
        detachKeys: opts.detachKeys,
        stderr: opts.stderr ? '1' : undefined,
        stdin: opts.stdin ? '1' : undefined,
        stdout: opts.stdout ? '1' : undefined,
        stream: opts.stream ? '1' : undefined,
      },
    });
  }

  // ---- container commands ----

  containerRestart(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    return this.json('POST', `/containers/${encodeURIComponent(ref)}/restart`, { query: { t: opts.timeout?.toString(), signal: opts.signal } });
  }

  containerPause(ref: string): Promise<void> {
    return this.json('POST', `/containers/${encodeURIComponent(ref)}/pause`);
  }

  containerUnpause(ref: string): Promise<void> {
    return this.json('POST', `/containers/${encodeURIComponent(ref)}/unpause`);
  }

  containerRename(ref: string, name: string): Promise<void> {
    return this.json('POST', `/containers/${encodeURIComponent(ref)}/rename`, { query: { name } });
  }

  containerTop(ref: string, psArgs?: string): Promise<{ Titles: string[]; Processes: string[][] }> {
    return this.json('GET', `/containers/${encodeURIComponent(ref)}/top`, { query: { ps_args: psArgs } });
  }

  containerChanges(ref: string): Promise<{ Kind: number; Path: string }[] | null> {
    return this.json('GET', `/containers/${encodeURIComponent(ref)}/changes`);
  }

  containerExport(ref: string): Promise<IncomingMessage> {
    return this.stream('GET', `/containers/${encodeURIComponent(ref)}/export`);
  }

  /** The stat header of a path in a container (HEAD archive), decoded. */
  async containerStatPath(ref: string, p: string): Promise<{ name: string; size: number; mode: number; mtime: string; linkTarget: string }> {
    const res = await this.stream('HEAD', `/containers/${encodeURIComponent(ref)}/archive`, { query: { path: p } });
    res.resume();
    const h = res.headers['x-docker-container-path-stat'];
    return JSON.parse(Buffer.from(String(h ?? ''), 'base64').toString('utf8'));
  }

  containerArchive(ref: string, p: string): Promise<IncomingMessage> {
    return this.stream('GET', `/containers/${encodeURIComponent(ref)}/archive`, { query: { path: p } });
  }

  containerPutArchive(ref: string, p: string, tar: Readable, opts: { copyUIDGID?: boolean } = {}): Promise<void> {
    return this.json('PUT', `/containers/${encodeURIComponent(ref)}/archive`, {
      query: { path: p, copyUIDGID: opts.copyUIDGID ? 'true' : undefined },
      body: tar,
      contentType: 'application/x-tar',
    });
  }

  containerStats(ref: string, stream: boolean): Promise<IncomingMessage> {
    return this.stream('GET', `/containers/${encodeURIComponent(ref)}/stats`, { query: { stream: stream ? '1' : '0' } });
  }

  containerUpdate(ref: string, body: Record<string, unknown>): Promise<{ Warnings: string[] | null }> {
    return this.json('POST', `/containers/${encodeURIComponent(ref)}/update`, { body });
  }

  containerCommit(ref: string, opts: { repo?: string; tag?: string; comment?: string; author?: string; changes?: string[]; pause?: boolean }): Promise<{ Id: string }> {
    return this.json('POST', '/commit', {
      query: {
        container: ref,
        repo: opts.repo,
        tag: opts.tag,
        comment: opts.comment,
        author: opts.author,
        changes: opts.changes?.length ? opts.changes : undefined,
        pause: opts.pause === false ? '0' : '1',
      },
      body: {},
    });
  }

  containerPrune(filters: Record<string, string[]> = {}): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
    return this.json('POST', '/containers/prune', { query: { filters: Object.keys(filters).length ? JSON.stringify(filters) : undefined } });
  }

  // ---- save / load ----

  imageSave(names: string[]): Promise<IncomingMessage> {
    return this.stream('GET', '/images/get', { query: { names } });
  }

  imageLoad(tar: Readable, quiet: boolean): Promise<IncomingMessage> {
    return this.stream('POST', '/images/load', { query: { quiet: quiet ? '1' : '0' }, body: tar, contentType: 'application/x-tar' });
  }

  // ---- exec ----

  execCreate(ref: string, body: Record<string, unknown>): Promise<{ Id: string }> {
    return this.json('POST', `/containers/${encodeURIComponent(ref)}/exec`, { body });
  }

  execStartDetached(id: string): Promise<void> {
    return this.json('POST', `/exec/${id}/start`, { body: { Detach: true, Tty: false } });
  }

  execStartAttached(id: string, body: { Tty: boolean; ConsoleSize?: [number, number] }): Promise<Hijacked> {
    return this.upgrade('POST', `/exec/${id}/start`, { body: { Detach: false, ...body } });
  }

  execInspect(id: string): Promise<{ ExitCode: number | null; Running: boolean; Pid: number }> {
    return this.json('GET', `/exec/${id}/json`);
  }

  execResize(id: string, rows: number, cols: number): Promise<void> {
    return this.json('POST', `/exec/${id}/resize`, { query: { h: String(rows), w: String(cols) } });
  }

  containerResize(ref: string, rows: number, cols: number): Promise<void> {
    return this.json('POST', `/containers/${encodeURIComponent(ref)}/resize`, { query: { h: String(rows), w: String(cols) } });
  }

  // ---- volumes ----

  volumeCreate(body: { Name?: string; Driver?: string; DriverOpts?: Record<string, string>; Labels?: Record<string, string> }): Promise<VolumeSummary> {
    return this.json('POST', '/volumes/create', { body });
  }

  volumeList(filters: Record<string, string[]> = {}): Promise<{ Volumes: VolumeSummary[] | null; Warnings: string[] | null }> {
    return this.json('GET', '/volumes', { query: { filters: encodeFilters(filters) } });
  }

  volumeInspectRaw(name: string): Promise<string> {
    return this.text('GET', `/volumes/${encodeURIComponent(name)}`);
  }

  volumeRemove(name: string, force = false): Promise<void> {
    return this.json('DELETE', `/volumes/${encodeURIComponent(name)}`, { query: { force: force ? '1' : undefined } });
  }

  volumePrune(filters: Record<string, string[]> = {}): Promise<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }> {
    return this.json('POST', '/volumes/prune', { query: { filters: encodeFilters(filters) } });
  }

  // ---- networks ----

  networkCreate(body: Record<string, unknown>): Promise<{ Id: string; Warning?: string }> {
    return this.json('POST', '/networks/create', { body });
  }

  networkList(filters: Record<string, string[]> = {}): Promise<NetworkSummary[]> {
    return this.json('GET', '/networks', { query: { filters: encodeFilters(filters) } });
  }

  networkInspectRaw(ref: string): Promise<string> {
    return this.text('GET', `/networks/${encodeURIComponent(ref)}`);
  }

  networkRemove(ref: string): Promise<void> {
    return this.json('DELETE', `/networks/${encodeURIComponent(ref)}`);
  }

  networkPrune(filters: Record<string, string[]> = {}): Promise<{ NetworksDeleted: string[] | null }> {
    return this.json('POST', '/networks/prune', { query: { filters: encodeFilters(filters) } });
  }

  networkConnect(ref: string, container: string, endpointConfig: Record<string, unknown>): Promise<void> {
    return this.json('POST', `/networks/${encodeURIComponent(ref)}/connect`, { body: { Container: container, EndpointConfig: endpointConfig } });
  }

  networkDisconnect(ref: string, container: string, force = false): Promise<void> {
    return this.json('POST', `/networks/${encodeURIComponent(ref)}/disconnect`, { body: { Container: container, Force: force } });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Image references may contain slashes and colons; the daemon takes them as the rest of the path. */
function encodeRef(ref: string): string {
  return ref.split('/').map(encodeURIComponent).join('/');
}

export async function readAll(res: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks);
}

async function errorOf(res: IncomingMessage): Promise<ClientError> {
  const status = res.statusCode ?? 0;
  const text = (await readAll(res).catch(() => Buffer.alloc(0))).toString('utf8').trim();
  let message = text;
  try {
    const j = JSON.parse(text) as { message?: string };
    if (j && typeof j.message === 'string') message = j.message;
  } catch {
    // not JSON: keep the text
  }
  if (!message) message = `${status} ${res.statusMessage ?? ''}`.trim();
  return new ClientError(status, message);
}

/**
 * Parse one JSON event line keeping timeNano exact: the digits are read from the text, since
 * an int64 of nanoseconds does not survive a double.
 */
export function parseEventLine(line: string): EventMessage {
  const ev = JSON.parse(line) as EventMessage & { timeNano?: unknown };
  const m = /"timeNano"\s*:\s*(-?\d+)/.exec(line);
  ev.timeNano = m ? BigInt(m[1]) : ev.time !== undefined ? BigInt(ev.time) * 1_000_000_000n : undefined;
  return ev;
}

/** Split a response into lines (JSON message streams, events), as they arrive. */
export async function* lines(res: Readable): AsyncGenerator<string> {
  let buf = '';
  res.setEncoding('utf8');
  for await (const chunk of res) {
    buf += chunk as string;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield line;
    }
  }
  if (buf.trim()) yield buf.trim();
}

/** A progress message of /images/create and friends. */
export interface JsonMessage {
  status?: string;
  id?: string;
  progress?: string;
  error?: string;
  errorDetail?: { code?: number; message?: string };
  stream?: string;
}

/** Read a JSON message stream; an error message in it becomes a thrown Error with its text. */
export async function readJsonMessages(res: Readable, onMessage: (m: JsonMessage) => void): Promise<void> {
  for await (const line of lines(res)) {
    let m: JsonMessage;
    try {
      m = JSON.parse(line) as JsonMessage;
    } catch {
      continue;
    }
    if (m.error || m.errorDetail) throw new Error(m.errorDetail?.message ?? m.error ?? 'unknown error');
    onMessage(m);
  }
}

/** One entry of GET /networks (the fields the CLI uses). */
export interface NetworkSummary {
  Id: string;
  Name: string;
  Driver: string;
  Scope: string;
  Created: string;
  Internal: boolean;
  EnableIPv4?: boolean;
  EnableIPv6: boolean;
  Labels: Record<string, string> | null;
}
