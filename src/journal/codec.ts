import type { Envelope } from '../domain/envelope';
import { upcast } from './upcast';

/** Fixed-width hex so that lexical key order is numeric order. */
export const hex16 = (n: bigint): string => n.toString(16).padStart(16, '0');

export interface StoredEnvelope {
  seq: string;
  time: string;
  type: string;
  v: number;
  stream: string;
  data: unknown;
  meta?: Record<string, unknown>;
  /** The record's hash in the chain (see chain.ts); absent in records an older Wharf wrote. */
  h?: string;
}

export function encode(e: Envelope): StoredEnvelope {
  return { seq: e.seq.toString(), time: e.time.toString(), type: e.type, v: e.v, stream: e.stream, data: e.data, ...(e.meta ? { meta: e.meta } : {}) };
}

export function decode(s: StoredEnvelope): Envelope {
  const { h: _h, ...rest } = s;
  return upcast({ ...rest, seq: BigInt(s.seq), time: BigInt(s.time) } as unknown as Envelope);
}
