import net from 'node:net';
import tls from 'node:tls';
import type { Readable } from 'node:stream';
import { TimeoutError } from './http';

/** A piece of a body, lent: its bytes stay valid until release() (they are then read into again). */
export interface LentChunk {
  bytes: Buffer;
  release(): void;
}

/** A body read as lent pieces, in order. */
export interface BlobBody extends AsyncIterable<LentChunk> {
  destroy(e?: Error): void;
}

/** A node stream (IncomingMessage) as a BlobBody: its chunks are its own, release does nothing. */
export function streamBody(s: Readable): BlobBody {
  const noop = () => undefined;
  return {
    destroy: (e) => s.destroy(e),
    async *[Symbol.asyncIterator]() {
      for await (const c of s as AsyncIterable<Buffer>) yield { bytes: c, release: noop };
    },
  };
}

export interface PooledResponse {
  status: number;
  /** Lower-cased names. */
  headers: Record<string, string>;
  body: BlobBody;
}

/** The answer has a framing this reader does not take (chunked, compressed, no length): ask again another way. */
export class UnsupportedFraming extends Error {}

const PIECE = 1 << 20;
const LENT_MAX = 4;
const HEAD_MAX = 64 << 10;

/**
 * GET a big body (a layer) over its own connection, read into a few reused 1 MiB buffers
 * (the socket's `onread`): node's HTTP client reads 64 KiB at a time into a new buffer each,
 * and at 200 MiB those allocations and their garbage collections cost more than the bytes.
 * Only what a registry or its storage answers a blob GET with is read here: a status line,
 * headers and a Content-Length body. A chunked or encoded body throws UnsupportedFraming
 * before any of it is handed out. At most LENT_MAX pieces are out at once; the socket waits
 * for a release beyond that. No byte for idleTimeoutMs (connecting, headers, mid-body) fails it.
 */
export function pooledGet(r: { url: URL; headers: Record<string, string>; idleTimeoutMs: number; insecureTls?: boolean }): Promise<PooledResponse> {
  const secure = r.url.protocol === 'https:';
  const port = Number(r.url.port || (secure ? 443 : 80));
  const host = r.url.hostname.replace(/^\[|\]$/g, '');
  const free: Buffer[] = [];
  let lent = 0;
  let pausedForPool = false;
  const queue: LentChunk[] = [];
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  let head: Buffer | undefined = Buffer.alloc(0);
  let length = -1;
  let got = 0;
  let settle: { resolve: (p: PooledResponse) => void; reject: (e: Error) => void };
  const answered = new Promise<PooledResponse>((resolve, reject) => (settle = { resolve, reject }));

  const release = (buf?: Buffer) => {
    lent--;
    if (buf) free.push(buf);
    if (pausedForPool && lent < LENT_MAX) {
      pausedForPool = false;
      socket.resume();
    }
  };
  /** A piece out to the reader; buf goes back to the pool when it is released (none: a copy). */
  const lend = (bytes: Buffer, buf?: Buffer) => {
    lent++;
    let done = false;
    queue.push({
      bytes,
      release: () => {
        if (done) return;
        done = true;
        release(buf);
      },
    });
    notify();
  };
  const fail = (e: Error) => {
    if (failure) return;
    failure = e;
    socket.destroy();
    settle.reject(e);
    notify();
  };

  const onread = {
    buffer: () => free.pop() ?? Buffer.allocUnsafeSlow(PIECE),
    callback: (n: number, buf: Buffer): boolean => {
      if (failure) return false;
      if (head) {
        head = Buffer.concat([head, buf.subarray(0, n)]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) {
          if (head.length > HEAD_MAX) fail(new Error(`GET ${r.url.href}: response headers too large`));
          free.push(buf);
          return true;
        }
        const parsed = parseHead(head.subarray(0, end).toString('latin1'));
        if (!parsed) {
          fail(new Error(`GET ${r.url.href}: malformed HTTP response`));
          return false;
        }
        const rest = head.subarray(end + 4);
        head = undefined;
        const status = parsed.status;
        if (status === 200) {
          if (parsed.headers['transfer-encoding'] || (parsed.headers['content-encoding'] && parsed.headers['content-encoding'] !== 'identity') || !/^\d+$/.test(parsed.headers['content-length'] ?? '')) {
            fail(new UnsupportedFraming(`GET ${r.url.href}: body framing not read here`));
            return false;
          }
          length = Number(parsed.headers['content-length']);
        } else {
          // Not a body to read here: the caller looks at the status (a redirect, an error) and asks again.
          settle.resolve({ status, headers: parsed.headers, body: emptyBody });
          failure = new Error('closed');
          socket.destroy();
          return false;
        }
        settle.resolve({ status, headers: parsed.headers, body });
        // The body's first bytes came with the headers: copied out (the buffer is read into again).
        free.push(buf);
        if (!rest.length) return finishIfDone();
        if (rest.length > length) {
          fail(new Error(`GET ${r.url.href}: more bytes than the ${length} announced`));
          return false;
        }
        got += rest.length;
        lend(Buffer.from(rest));
        return finishIfDone();
      }
      if (got + n > length) {
        fail(new Error(`GET ${r.url.href}: more bytes than the ${length} announced`));
        return false;
      }
      got += n;
      lend(buf.subarray(0, n), buf);
      if (!finishIfDone()) return false;
      if (lent >= LENT_MAX) {
        pausedForPool = true;
        return false;
      }
      return true;
    },
  };
  const finishIfDone = (): boolean => {
    if (length >= 0 && got === length) {
      ended = true;
      notify();
      socket.destroy();
      return false;
    }
    return true;
  };

  const socket: net.Socket = secure
    ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, rejectUnauthorized: !r.insecureTls, ALPNProtocols: ['http/1.1'], onread } as tls.ConnectionOptions)
    : net.connect({ host, port, onread });
  socket.setTimeout(r.idleTimeoutMs, () => fail(new TimeoutError(`GET ${r.url.href}: timed out after ${r.idleTimeoutMs / 1000}s without an answer`)));
  socket.on('error', (e) => fail(e));
  socket.on('close', () => {
    if (!ended && !failure) fail(new Error(head ? `GET ${r.url.href}: connection closed before an answer` : `unexpected EOF (got ${got} of ${length} bytes)`));
  });
  socket.once(secure ? 'secureConnect' : 'connect', () => {
    const lines = [`GET ${r.url.pathname}${r.url.search} HTTP/1.1`, `Host: ${r.url.host}`, 'Connection: close', 'Accept-Encoding: identity'];
    for (const [k, v] of Object.entries({ 'User-Agent': 'wharf/0.1 (docker-compatible)', ...r.headers })) lines.push(`${k}: ${v}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  });

  const body: BlobBody = {
    destroy: (e) => fail(e ?? new Error('destroyed')),
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const next = queue.shift();
        if (next) {
          yield next;
          continue;
        }
        if (failure) throw failure;
        if (ended) return;
        await new Promise<void>((res) => (wake = res));
      }
    },
  };
  return answered;
}

const emptyBody: BlobBody = {
  destroy: () => undefined,
  async *[Symbol.asyncIterator]() {
    // nothing
  },
};

function parseHead(text: string): { status: number; headers: Record<string, string> } | undefined {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!m) return undefined;
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i <= 0) continue;
    const k = l.slice(0, i).trim().toLowerCase();
    const v = l.slice(i + 1).trim();
    headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
  }
  return { status: Number(m[1]), headers };
}
