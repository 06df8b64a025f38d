import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';

export interface HttpResponse {
  status: number;
  statusText: string;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
}

export interface HttpRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  body?: Buffer | string | Readable;
  /** No byte for this long (connecting, waiting for headers, or mid-body): the request fails. */
  idleTimeoutMs: number;
  /** https to a registry whose certificate is not checked (insecure registries). */
  insecureTls?: boolean;
}

/** A registry that did not answer in time. */
export class TimeoutError extends Error {}

const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 16 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 16 }),
  httpsInsecure: new https.Agent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: false }),
};

/**
 * One HTTP request with an idle time-out that covers the whole exchange: a registry that
 * hangs before its headers or in the middle of a body fails the request (the body stream
 * is destroyed with a TimeoutError) instead of holding a pull forever.
 */
export function request(r: HttpRequest): Promise<HttpResponse> {
  const secure = r.url.protocol === 'https:';
  const mod = secure ? https : http;
  const agent = secure ? (r.insecureTls ? agents.httpsInsecure : agents.https) : agents.http;
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'User-Agent': 'wharf/0.1 (docker-compatible)', ...(r.headers ?? {}) };
    if (Buffer.isBuffer(r.body) || typeof r.body === 'string') headers['Content-Length'] = String(Buffer.byteLength(r.body));
    const req = mod.request(r.url, { method: r.method, headers, agent });
    const timeout = () => new TimeoutError(`${r.method} ${r.url.href}: timed out after ${r.idleTimeoutMs / 1000}s without an answer`);
    req.setTimeout(r.idleTimeoutMs, () => req.destroy(timeout()));
    req.on('error', reject);
    req.on('response', (res) => {
      // The request's socket time-out keeps running while the body streams: an idle body fails too.
      res.on('error', () => undefined);
      req.on('error', (e) => res.destroy(e));
      resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: res.headers, body: res });
    });
    if (r.body === undefined || Buffer.isBuffer(r.body) || typeof r.body === 'string') req.end(r.body);
    else {
      r.body.on('error', (e) => req.destroy(e));
      r.body.pipe(req);
    }
  });
}

/** Read a whole (small) body, at most `limit` bytes. */
export async function readBody(res: HttpResponse, limit = 8 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res.body) {
    n += (c as Buffer).length;
    if (n > limit) {
      res.body.destroy();
      throw new Error(`response from ${res.body.url ?? 'registry'} is larger than ${limit} bytes`);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Discard a body so the connection can be reused. */
export function drain(res: HttpResponse): Promise<void> {
  return new Promise((resolve) => {
    res.body.on('end', resolve);
    res.body.on('error', () => resolve());
    res.body.on('close', () => resolve());
    res.body.resume();
  });
}

/** GET a URL, following up to five redirects; anything but a 200 in the end is an error. */
export async function openUrl(url: URL, idleTimeoutMs: number): Promise<HttpResponse> {
  let res = await request({ method: 'GET', url, idleTimeoutMs });
  for (let hops = 0; hops < 5 && [301, 302, 303, 307, 308].includes(res.status) && res.headers.location; hops++) {
    const next = new URL(res.headers.location as string, url);
    await drain(res);
    res = await request({ method: 'GET', url: next, idleTimeoutMs });
  }
  if (res.status !== 200) {
    await drain(res);
    throw new Error(`Get "${url.href}": ${res.status} ${res.statusText}`);
  }
  return res;
}
