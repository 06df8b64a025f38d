import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { SeqpacketSocket } from 'node-unix-socket';

/**
 * The container's stdin, through conmon's attach socket (SOCK_SEQPACKET, which node's `net`
 * cannot open). What we write goes to the container's stdin; ending the connection lets
 * conmon close that stdin (unless it was started with --leave-stdin-open).
 */
export interface StdinSink {
  write(data: Buffer): void;
  end(): void;
}

const MAX_PACKET = 8192;

export function connectStdin(socketPath: string): Promise<StdinSink> {
  // A socket path may not exceed 108 bytes; reach it through a descriptor of its directory.
  const dirFd = openSync(path.dirname(socketPath), 'r');
  const shortPath = `/proc/self/fd/${dirFd}/${path.basename(socketPath)}`;
  return new Promise<StdinSink>((resolve, reject) => {
    const sock = new SeqpacketSocket();
    let open = false;
    sock.on('error', (e: Error) => {
      if (!open) reject(e);
    });
    // conmon copies the container's output here too; the log file is where we read it from.
    sock.on('data', () => undefined);
    sock.connect(shortPath, () => {
      open = true;
      resolve({
        write(data: Buffer) {
          for (let off = 0; off < data.length; off += MAX_PACKET) sock.write(data.subarray(off, off + MAX_PACKET));
        },
        end() {
          sock.end();
        },
      });
    });
  }).finally(() => closeSync(dirFd));
}

/** Docker's --detach-keys ("ctrl-p,ctrl-q", "a,ctrl-@") as bytes. */
export function parseDetachKeys(spec: string): Buffer {
  const out: number[] = [];
  for (const key of spec.split(',')) {
    const k = key.trim().toLowerCase();
    if (k.length === 1) out.push(k.charCodeAt(0));
    else if (/^ctrl-[a-z]$/.test(k)) out.push(k.charCodeAt(5) - 96);
    else if (k === 'ctrl-@') out.push(0);
    else if (/^ctrl-[[\\\]^_]$/.test(k)) out.push(k.charCodeAt(5) - 64);
    else throw new Error(`Invalid detach keys (${spec}) provided`);
  }
  return Buffer.from(out);
}

/**
 * Scans input for the detach sequence. Bytes that might begin the sequence are held back
 * until they are known not to be part of it, so the container never sees the keys.
 */
export class DetachScanner {
  private held: number[] = [];

  constructor(private readonly keys: Buffer) {}

  /** Returns the bytes to forward, and whether the sequence was completed. */
  push(data: Buffer): { forward: Buffer; detached: boolean } {
    const out: number[] = [];
    for (const b of data) {
      if (this.keys.length === 0) {
        out.push(b);
        continue;
      }
      if (b === this.keys[this.held.length]) {
        this.held.push(b);
        if (this.held.length === this.keys.length) return { forward: Buffer.from(out), detached: true };
      } else {
        out.push(...this.held);
        this.held = [];
        if (b === this.keys[0]) this.held.push(b);
        else out.push(b);
      }
    }
    return { forward: Buffer.from(out), detached: false };
  }
}
