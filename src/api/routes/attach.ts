import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { filter, firstValueFrom, from, mergeMap } from 'rxjs';
import { isRunning } from '../../domain/container';
import { conflict, noSuchContainer } from '../../domain/errors';
import { toHttpError } from '../errors';
import { findContainer } from '../../engine/lookup';
import { readLogs } from '../../engine/containers/read-logs';
import { connectStdin, DetachScanner, parseDetachKeys, type StdinSink } from '../../runtime/attach-socket';
import { truthy, type Query as Q } from '../query';
import { frame, STDERR, STDOUT } from '../../wire/stream';
import { WebSocket } from '../websocket';


import type { EngineDeps } from '../../engine/ports';

/** What attach uses of the engine. */
export type AttachRouteDeps = Pick<EngineDeps, 'journal' | 'views' | 'runtime' | 'containersDir' | 'log' | 'locks' | 'live'>;
/** How an attach talks to its client: a hijacked HTTP connection, or a websocket. */
export interface AttachPeer {
  /** Turn the request down with an HTTP status and Docker's JSON message. */
  refuse(status: number, message: string): void;
  /** Take the request on, for a container with or without a tty. */
  accept(tty: boolean): void;
  /** Output; resolves when the client can take more. */
  send(stream: 'stdout' | 'stderr', data: Buffer): Promise<void>;
  /** What the client types, and the end of it. */
  onInput(data: (d: Buffer) => void, end: () => void): void;
  /** The client went away. */
  onGone(cb: () => void): void;
  /** Output is over. */
  end(): void;
}

function httpError(status: number, message: string): string {
  const body = JSON.stringify({ message });
  const text = status === 404 ? 'Not Found' : status === 400 ? 'Bad Request' : 'Error';
  return `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** POST /containers/{id}/attach: the hijacked connection; output framed by stream unless there is a tty. */
export function rawPeer(socket: Socket, head: Buffer, upgraded: boolean): AttachPeer {
  let tty = false;
  return {
    refuse: (status, message) => socket.end(httpError(status, message)),
    accept(t) {
      tty = t;
      const ctype = tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream';
      socket.write(
        upgraded
          ? `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${ctype}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`
          : `HTTP/1.1 200 OK\r\nContent-Type: ${ctype}\r\n\r\n`,
      );
    },
    send(stream, data) {
      if (socket.destroyed) return Promise.resolve();
      if (socket.write(tty ? data : frame(stream === 'stdout' ? STDOUT : STDERR, data))) return Promise.resolve();
      return new Promise((r) => socket.once('drain', r));
    },
    onInput(data, end) {
      socket.on('data', data);
      socket.on('end', end);
      if (head.length) data(head);
    },
    onGone(cb) {
      socket.on('close', cb);
      socket.on('error', cb);
    },
    end: () => {
      if (!socket.destroyed) socket.end();
    },
  };
}

/**
 * GET /containers/{id}/attach/ws: a websocket (handshake already checked). Output goes as
 * binary messages, stdout and stderr alike and never framed; each message received is input.
 */
export function websocketPeer(req: IncomingMessage, socket: Socket, head: Buffer): AttachPeer {
  let ws: WebSocket | undefined;
  const pending: ((ws: WebSocket) => void)[] = [];
  let opened: Promise<void> = Promise.resolve();
  const withWs = (fn: (ws: WebSocket) => void) => (ws ? fn(ws) : pending.push(fn));
  return {
    refuse: (status, message) => socket.end(httpError(status, message)),
    accept() {
      opened = WebSocket.accept(req, socket, head).then((w) => {
        ws = w;
        for (const fn of pending.splice(0)) fn(w);
      });
    },
    send: async (_stream, data) => {
      await opened;
      await ws?.send(data);
    },
    onInput: (data, end) =>
      withWs((w) => {
        w.on('message', data);
        w.on('close', end);
      }),
    onGone: (cb) => withWs((w) => w.on('close', cb)),
    end: () => void opened.then(() => ws?.close(1000)),
  };
}

/**
 * Attach a client to a container. Output (stdout/stderr apart) follows the log conmon
 * writes: with logs=1 from its start, else from now; with stream=1 until this run (or the
 * next one, if it has not started yet) ends. Input goes to conmon's attach socket once the
 * container runs; the detach keys (ctrl-p ctrl-q by default) leave the container running.
 */
export async function attach(ctx: AttachRouteDeps, ref: string, q: Q, peer: AttachPeer): Promise<void> {
  let c;
  try {
    c = findContainer(ctx.views, ref);
  } catch {
    c = undefined;
  }
  if (!c) return peer.refuse(404, noSuchContainer(ref).message);
  if (c.status === 'paused') {
    // Docker's words (with the reference as given): output would not come until an unpause.
    const { status, message } = toHttpError(conflict(`container ${ref} is paused, unpause the container before attach`));
    return peer.refuse(status, message);
  }
  let detachKeys: Buffer;
  try {
    detachKeys = parseDetachKeys(q.detachKeys || 'ctrl-p,ctrl-q');
  } catch (e) {
    return peer.refuse(400, (e as Error).message);
  }
  const id = c.id;
  peer.accept(c.config.Tty);
  ctx.live.container(c, 'attach');
  const stream = truthy(q.stream);
  const logs = truthy(q.logs);
  if (!stream && !logs) return peer.end();
  const wantOut = truthy(q.stdout);
  const wantErr = truthy(q.stderr);
  const wantIn = stream && truthy(q.stdin) && c.config.OpenStdin;
  const ac = new AbortController();
  peer.onGone(() => ac.abort());

  let ended = false;
  const sub = ctx.journal.committed$.subscribe((batch) => {
    for (const e of batch) {
      if (e.data.id === id && (e.type === 'container.died' || e.type === 'container.destroyed' || e.type === 'container.start-failed')) ended = true;
    }
  });

  const input = wantIn ? new StdinForwarder(detachKeys, () => ac.abort(), () => containerStdin(ctx, id)) : undefined;
  peer.onInput(
    (d) => input?.push(d),
    () => input?.end(),
  );

  try {
    for await (const e of readLogs(ctx, id, { follow: stream, fromEnd: !logs, live: () => !ended, partial: true, signal: ac.signal })) {
      if ((e.stream === 'stdout' && !wantOut) || (e.stream === 'stderr' && !wantErr)) continue;
      await peer.send(e.stream, e.data);
    }
  } catch (err) {
    ctx.log.warn({ err }, 'attach stream failed');
  } finally {
    sub.unsubscribe();
    input?.close();
  }
  peer.end();
}

/** The container's stdin once it runs (undefined if this run ends first). */
async function containerStdin(ctx: AttachRouteDeps, id: string): Promise<StdinSink | undefined> {
  const c = ctx.views.containers.get(id);
  if (!c || !isRunning(c)) {
    const started = await firstValueFrom(
      ctx.journal.committed$.pipe(
        mergeMap((b) => from(b)),
        filter((e) => e.data.id === id && (e.type === 'container.started' || e.type === 'container.died' || e.type === 'container.destroyed' || e.type === 'container.start-failed')),
      ),
      { defaultValue: undefined },
    );
    if (started?.type !== 'container.started') return undefined;
  }
  return connectStdin(ctx.runtime.attachSocket(id));
}

/** Client keystrokes → a process's stdin, once it can be opened; watches for the detach keys. */
export class StdinForwarder {
  private sink?: StdinSink;
  private pending: Buffer[] = [];
  private eof = false;
  private closed = false;
  private readonly scanner: DetachScanner;

  constructor(keys: Buffer, private readonly onDetach: () => void, open: () => Promise<StdinSink | undefined>) {
    this.scanner = new DetachScanner(keys);
    void this.connect(open);
  }

  private async connect(open: () => Promise<StdinSink | undefined>): Promise<void> {
    let sink;
    try {
      sink = await open();
    } catch {
      return; // the process is gone: nothing to write to
    }
    if (!sink) return;
    if (this.closed) {
      sink.end(); // detached before the process could be reached
      return;
    }
    this.sink = sink;
    for (const b of this.pending) this.sink.write(b);
    this.pending = [];
    if (this.eof) this.sink.end();
  }

  push(data: Buffer): void {
    const { forward, detached } = this.scanner.push(data);
    if (forward.length) {
      if (this.sink) this.sink.write(forward);
      else this.pending.push(forward);
    }
    if (detached) {
      // Leave the process running; its stdin stays open for the next attach.
      this.closed = true;
      this.onDetach();
    }
  }

  /** The client closed its input (stdin EOF): close the process's stdin. */
  end(): void {
    if (this.closed) return;
    this.eof = true;
    this.sink?.end();
  }

  close(): void {
    this.closed = true;
  }
}
