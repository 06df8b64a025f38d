import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { ChainHead } from './chain';

const SIZE = 512;

/** What a head file says: the last acknowledged record, and the start of a write that failed. */
export interface HeadRecord extends ChainHead {
  failedFrom?: bigint;
}

/**
 * The chain's anchor outside the database: the seq and hash of the last acknowledged record,
 * rewritten in place (one fixed-size pwrite, no fsync) after every durable batch. A process
 * crash cannot tear it; it is never ahead of the fsynced journal, so a journal that ends
 * before it lost acknowledged records. Overwriting bytes the file already has needs no free
 * space, so it is written on a full disk too.
 */
export class HeadFile {
  private fd?: number;

  constructor(readonly file: string) {}

  /** What the file says; undefined when it does not exist, 'unreadable' when it is damaged. */
  static read(file: string): HeadRecord | 'unreadable' | undefined {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return 'unreadable';
    }
    const m = /^wharf-journal-head v1 seq=(\d+) hash=([0-9a-f]{64}) failed=(\d+|-) sum=([0-9a-f]{16})\n/.exec(text);
    if (!m) return 'unreadable';
    const body = text.slice(0, text.indexOf(' sum='));
    if (checksum(body) !== m[4]) return 'unreadable';
    return { seq: BigInt(m[1]), hash: m[2], ...(m[3] !== '-' ? { failedFrom: BigInt(m[3]) } : {}) };
  }

  write(head: HeadRecord): void {
    if (this.fd === undefined) this.fd = fs.openSync(this.file, fs.existsSync(this.file) ? 'r+' : 'w+', 0o600);
    const body = `wharf-journal-head v1 seq=${head.seq} hash=${head.hash} failed=${head.failedFrom ?? '-'}`;
    const line = `${body} sum=${checksum(body)}\n`;
    const buf = Buffer.alloc(SIZE, 0x20);
    buf.write(line, 0, 'utf8');
    buf[SIZE - 1] = 0x0a;
    fs.writeSync(this.fd, buf, 0, SIZE, 0);
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

function checksum(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 16);
}
