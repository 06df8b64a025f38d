/**
 * The requests every noun of the client makes: paths prefixed with the API version the CLI
 * speaks, bodies as JSON, bytes or streams, answers as streams, JSON or text, refusals as a
 * ClientError with the daemon's message, and hijacked connections for attach and exec.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { readAll } from './streams';
import { Transport, type ClientTls } from './transport';

/** The API version this client speaks (the daemon's API_VERSION in src/daemon/daemon.ts). */
export const CLIENT_API_VERSION = '1.50';

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

/** A hijacked connection: the raw socket plus any bytes that came with the 101 answer. */
export interface Hijacked {
  socket: Socket;
  head: Buffer;
  /** The content type the daemon announced (raw-stream for a tty, multiplexed otherwise). */
  contentType: string;
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

/** Image references may contain slashes and colons; the daemon takes them as the rest of the path. */
export function encodeRef(ref: string): string {
  return ref.split('/').map(encodeURIComponent).join('/');
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

function isStream(b: unknown): b is Readable {
  return typeof b === 'object' && b !== null && typeof (b as Readable).pipe === 'function';
}

/** The request kinds the nouns (containers.ts, images.ts, ...) build their calls on. */
export class Requests {
  readonly host: string;
  protected readonly transport: Transport;

  constructor(
    host?: string,
    readonly debug: (msg: string) => void = () => undefined,
    tls?: ClientTls,
  ) {
    this.transport = new Transport(host, tls);
    this.host = this.transport.host;
  }

  private path(p: string, query?: Query, apiVersion = CLIENT_API_VERSION): string {
    return `/v${apiVersion}${p}${encodeQuery(query)}`;
  }

  private baseOptions(method: string, p: string, opts: RequestOptions) {
    const headers: Record<string, string> = { 'User-Agent': `Wharf-Client/${CLIENT_API_VERSION} (linux)`, ...(opts.headers ?? {}) };
    return this.transport.options(method, this.path(p, opts.query, opts.apiVersion), headers, opts.signal);
  }

  /** Send a request; resolves with the response once its headers are in (any status). */
  raw(method: string, p: string, opts: RequestOptions = {}): Promise<IncomingMessage> {
    const ro = this.baseOptions(method, p, opts);
    const headers = ro.headers as Record<string, string>;
    let payload: Buffer | undefined;
    let stream: Readable | undefined;
    if (isStream(opts.body)) {
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
      const req = this.transport.request(ro, (res) => resolve(res));
      req.on('error', (e: NodeJS.ErrnoException) => reject(this.transport.failure(e, method, ro.path ?? p)));
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
      const req = this.transport.request(ro);
      req.on('upgrade', (res: IncomingMessage, socket: Socket, head: Buffer) => {
        resolve({ socket, head, contentType: String(res.headers['content-type'] ?? '') });
      });
      req.on('response', (res) => {
        // The daemon refused to upgrade (e.g. 404 No such container).
        errorOf(res).then(reject, reject);
      });
      req.on('error', (e: NodeJS.ErrnoException) => reject(this.transport.failure(e, method, ro.path ?? p)));
      req.end(payload);
    });
  }

  close(): void {
    this.transport.close();
  }
}

/** What a noun's mixin extends: any class made of Requests. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RequestsClass = new (...args: any[]) => Requests;
