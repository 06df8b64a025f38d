/**
 * The server side of RFC 6455 websockets on a socket node's 'upgrade' event hands over:
 * the handshake, and frames (client frames are masked, ours are not; fragmented messages
 * are joined; pings are answered; a close is echoed). Enough for /containers/{id}/attach/ws.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Refuse larger messages: attach input is keystrokes and pasted text, not bulk data. */
const MAX_MESSAGE = 16 * 1024 * 1024;

const OP_CONTINUATION = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

/** What is wrong with a websocket handshake (golang.org/x/net/websocket's words, as Docker's), or undefined. */
export function handshakeError(req: IncomingMessage): string | undefined {
  if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket' || !(req.headers.connection ?? '').toLowerCase().includes('upgrade')) return 'not websocket protocol';
  if (!req.headers['sec-websocket-key']) return 'mismatch challenge/response';
  if (req.headers['sec-websocket-version'] !== '13') return 'missing or bad WebSocket Version';
  return undefined;
}

/** Encode one unmasked (server) frame. */
export function encodeFrame(opcode: number, payload: Buffer, mask?: Buffer): Buffer {
  const len = payload.length;
  const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + ext + (mask ? 4 : 0));
  head[0] = 0x80 | opcode;
  head[1] = (mask ? 0x80 : 0) | (ext === 0 ? len : ext === 2 ? 126 : 127);
  if (ext === 2) head.writeUInt16BE(len, 2);
  if (ext === 8) head.writeBigUInt64BE(BigInt(len), 2);
  if (!mask) return Buffer.concat([head, payload]);
  mask.copy(head, 2 + ext);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= mask[i % 4];
  return Buffer.concat([head, body]);
}

export interface Frame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** Decode the complete frames at the start of buf (unmasking them); returns them and what is left. */
export function decodeFrames(buf: Buffer): { frames: Frame[]; rest: Buffer; tooLarge?: boolean } {
  const frames: Frame[] = [];
  let off = 0;
  for (;;) {
    if (buf.length - off < 2) break;
    const b0 = buf[off];
    const b1 = buf[off + 1];
    let len = b1 & 0x7f;
    let p = off + 2;
    if (len === 126) {
      if (buf.length - p < 2) break;
      len = buf.readUInt16BE(p);
      p += 2;
    } else if (len === 127) {
      if (buf.length - p < 8) break;
      const big = buf.readBigUInt64BE(p);
      if (big > BigInt(MAX_MESSAGE)) return { frames, rest: Buffer.alloc(0), tooLarge: true };
      len = Number(big);
      p += 8;
    }
    if (len > MAX_MESSAGE) return { frames, rest: Buffer.alloc(0), tooLarge: true };
    const masked = (b1 & 0x80) !== 0;
    const mask = masked ? buf.subarray(p, p + 4) : undefined;
    if (masked) p += 4;
    if (buf.length - p < len) break;
    const payload = Buffer.from(buf.subarray(p, p + len));
    if (mask) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
    frames.push({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload });
    off = p + len;
  }
  return { frames, rest: buf.subarray(off) };
}

/**
 * A server-side websocket. Events: 'message' (Buffer; text and binary alike), 'close'
 * (the client closed, or the connection is gone).
 */
export class WebSocket extends EventEmitter {
  private rest: Buffer = Buffer.alloc(0);
  private parts: Buffer[] = [];
  private partsSize = 0;
  private closed = false;

  constructor(readonly socket: Socket, head: Buffer) {
    super();
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.receive(d));
    socket.on('close', () => this.gone());
    socket.on('error', () => this.gone());
    if (head.length) queueMicrotask(() => this.receive(head));
  }

  /** Answer the handshake: 101 Switching Protocols. */
  static accept(req: IncomingMessage, socket: Socket, head: Buffer): WebSocket {
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' + `Sec-WebSocket-Accept: ${acceptKey(String(req.headers['sec-websocket-key']))}\r\n\r\n`,
    );
    return new WebSocket(socket, head);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Send one binary message; resolves when the socket can take more. */
  send(data: Buffer): Promise<void> {
    if (this.closed || this.socket.destroyed) return Promise.resolve();
    if (this.socket.write(encodeFrame(OP_BINARY, data))) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.once('drain', done);
      this.socket.once('close', done);
    });
  }

  /** Close with a status (1000: normal), then end the connection. */
  close(code = 1000): void {
    if (this.socket.destroyed) return this.gone();
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code);
    this.socket.end(encodeFrame(OP_CLOSE, payload));
    this.gone();
  }

  private gone(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
  }

  private receive(d: Buffer): void {
    if (this.closed) return;
    const { frames, rest, tooLarge } = decodeFrames(this.rest.length ? Buffer.concat([this.rest, d]) : d);
    this.rest = Buffer.from(rest);
    for (const f of frames) {
      if (this.closed) return;
      switch (f.opcode) {
        case OP_PING:
          this.socket.write(encodeFrame(OP_PONG, f.payload));
          break;
        case OP_PONG:
          break;
        case OP_CLOSE:
          this.close(f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1000);
          return;
        case OP_TEXT:
        case OP_BINARY:
        case OP_CONTINUATION:
          this.parts.push(f.payload);
          this.partsSize += f.payload.length;
          if (this.partsSize > MAX_MESSAGE) return this.close(1009);
          if (f.fin) {
            const msg = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
            this.parts = [];
            this.partsSize = 0;
            this.emit('message', msg);
          }
          break;
        default:
          return this.close(1002);
      }
    }
    if (tooLarge) this.close(1009);
  }
}
