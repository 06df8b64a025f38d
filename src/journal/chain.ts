import crypto from 'node:crypto';
import type { StoredEnvelope } from './codec';

/** The hash before the first record of a chain. */
export const GENESIS = '0'.repeat(64);

/**
 * The hash of one stored record: sha256 over the previous record's hash and the record's
 * own canonical bytes (its JSON without `h`). It is the record's checksum and its link in the
 * chain at once: a changed, removed or reordered record breaks the hash of the next one.
 * JSON.stringify(JSON.parse(s)) === s for what JSON.stringify wrote, so the bytes read back
 * hash the same.
 */
export function recordHash(prev: string, stored: StoredEnvelope): string {
  if (stored.h === undefined) return hashOfBody(prev, JSON.stringify(stored));
  const { h: _h, ...body } = stored;
  return hashOfBody(prev, JSON.stringify(body));
}

/** The hash over the previous hash and a record's JSON (without `h`), already serialised. */
export function hashOfBody(prev: string, body: string): string {
  return sha256(`${prev}\n${body}`);
}

// crypto.hash (node >= 20.12) hashes in one call, without a Hash object per record.
const oneShot = (crypto as unknown as { hash?: (alg: string, data: string, enc: 'hex') => string }).hash;
const sha256 = oneShot ? (s: string) => oneShot('sha256', s, 'hex') : (s: string) => crypto.createHash('sha256').update(s).digest('hex');

/** Where a chain stands: the last record's seq and hash (seq 0 and GENESIS when empty). */
export interface ChainHead {
  seq: bigint;
  hash: string;
}

export const EMPTY_HEAD: ChainHead = { seq: 0n, hash: GENESIS };

/** The first problem found in a journal, by sequence number. */
export interface Damage {
  seq: bigint;
  problem: string;
}

/**
 * Checks records one by one, in key order: consecutive seqs from 1, each record's hash over
 * the previous one. Records written before the chain existed (no `h`) are accepted only as a
 * prefix (an older Wharf wrote them); they restart the chain from their own position.
 */
export class ChainVerifier {
  head: ChainHead = EMPTY_HEAD;
  count = 0;
  legacy = 0;
  private chained = false;

  /** From the start of the journal, or on from a record known sound (seq, hash). */
  constructor(from?: ChainHead) {
    if (from && from.seq > 0n) {
      this.head = { seq: from.seq, hash: from.hash };
      // A legacy record's position carries GENESIS: the chain may still begin after it.
      this.chained = from.hash !== GENESIS;
    }
  }

  /** Undefined when the record is sound, else what is wrong with it. */
  check(key: bigint, stored: StoredEnvelope): Damage | undefined {
    const seq = this.head.seq + 1n;
    if (key !== seq) {
      return key > seq
        ? { seq, problem: key - seq === 1n ? `record ${seq} is missing` : `records ${seq} to ${key - 1n} are missing` }
        : { seq: key, problem: `record ${key} is out of order (after ${this.head.seq})` };
    }
    if (String(stored.seq) !== String(key)) return { seq: key, problem: `record ${key} holds seq ${stored.seq}` };
    if (stored.h === undefined) {
      if (this.chained) return { seq: key, problem: `record ${key} has no hash (the chain began before it)` };
      this.legacy++;
      this.count++;
      this.head = { seq: key, hash: GENESIS };
      return undefined;
    }
    this.chained = true;
    const h = recordHash(this.head.hash, stored);
    if (h !== stored.h) return { seq: key, problem: `record ${key} does not match its hash (changed, or the record before it was)` };
    this.count++;
    this.head = { seq: key, hash: h };
    return undefined;
  }
}
