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
}

export function encode(e: Envelope): StoredEnvelope {
  return { seq: e.seq.toString(), time: e.time.toString(), type: e.type, v: e.v, stream: e.stream, data: e.data, ...(e.meta ? { meta: e.meta } : {}) };
}

export function decode(s: StoredEnvelope): Envelope {
  return upcast({ ...s, seq: BigInt(s.seq), time: BigInt(s.time) } as unknown as Envelope);
}
