import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { WharfError } from '../../domain/errors';
import { toHttpError } from '../errors';
import { attachContainer, type AttachContainerDeps, type AttachPeer } from '../../engine/containers/attach-container';
import { truthy, type Query as Q } from '../query';
import { frame, STDERR, STDOUT } from '../../wire/stream';
import { WebSocket } from '../websocket';

export type AttachRouteDeps = AttachContainerDeps;

function httpError(e: WharfError): string {
  const { status, message } = toHttpError(e);
  const body = JSON.stringify({ message });
  const text = status === 404 ? 'Not Found' : status === 400 ? 'Bad Request' : 'Error';
  return `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** POST /containers/{id}/attach: the hijacked connection; output framed by stream unless there is a tty. */
export function rawPeer(socket: Socket, head: Buffer, upgraded: boolean): AttachPeer {
  let tty = false;
  return {
    refuse: (e) => socket.end(httpError(e)),
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
    refuse: (e) => socket.end(httpError(e)),
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

/** The attach query (stream, logs, stdout, stderr, stdin, detachKeys), read as dockerd reads it, for the engine. */
export function attach(ctx: AttachRouteDeps, ref: string, q: Q, peer: AttachPeer): Promise<void> {
  return attachContainer(ctx, ref, { stream: truthy(q.stream), logs: truthy(q.logs), stdout: truthy(q.stdout), stderr: truthy(q.stderr), stdin: truthy(q.stdin), detachKeys: q.detachKeys as string | undefined }, peer);
}
