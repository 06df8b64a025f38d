/**
 * The server side of /containers/{id}/attach/ws. The protocol (RFC 6455 framing, masking,
 * fragments, pings, closes, the message size bound) is the `ws` library's; what is ours is
 * Docker's handshake refusals (checked before ws sees the request) and backpressure on send.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket as Ws } from 'ws';

/** Refuse larger messages: attach input is keystrokes and pasted text, not bulk data (ws closes with 1009). */
const MAX_MESSAGE = 16 * 1024 * 1024;

const server = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE, perMessageDeflate: false, clientTracking: false });

/** What is wrong with a websocket handshake (golang.org/x/net/websocket's words, as Docker's), or undefined. */
export function handshakeError(req: IncomingMessage): string | undefined {
  if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket' || !(req.headers.connection ?? '').toLowerCase().includes('upgrade')) return 'not websocket protocol';
  if (!req.headers['sec-websocket-key']) return 'mismatch challenge/response';
  if (req.headers['sec-websocket-version'] !== '13') return 'missing or bad WebSocket Version';
  return undefined;
}

const toBuffer = (d: RawData): Buffer => (Buffer.isBuffer(d) ? d : Array.isArray(d) ? Buffer.concat(d) : Buffer.from(d));

/**
 * A server-side websocket. Events: 'message' (Buffer; text and binary alike), 'close'
 * (the client closed, or the connection is gone).
 */
export class WebSocket extends EventEmitter {
  private closed = false;

  private constructor(
    private readonly ws: Ws,
    private readonly socket: Socket,
  ) {
    super();
    ws.on('message', (d) => this.emit('message', toBuffer(d)));
    ws.on('close', () => this.gone());
    ws.on('error', () => this.gone());
  }

  /** Answer the handshake (101 Switching Protocols); the socket is the websocket's from then on. */
  static accept(req: IncomingMessage, socket: Socket, head: Buffer): Promise<WebSocket> {
    socket.setNoDelay(true);
    return new Promise((resolve) => server.handleUpgrade(req, socket, head, (ws) => resolve(new WebSocket(ws, socket))));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Send one binary message; resolves once the socket took it (or is gone). */
  send(data: Buffer): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.ws.send(data, { binary: true }, () => resolve()));
  }

  /**
   * Close with a status (1000: normal), then end the connection at once, as Docker's server
   * does (ws alone would wait for the client's close frame).
   */
  close(code = 1000): void {
    if (!this.closed) {
      this.ws.close(code);
      this.socket.end();
    }
    this.gone();
  }

  private gone(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
  }
}
