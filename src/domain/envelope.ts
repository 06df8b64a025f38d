import type { WharfEvent } from './events';

/** An event as stored: seq is a 64-bit counter, time is monotonic nanoseconds since the epoch. */
export type Envelope<E extends WharfEvent = WharfEvent> = E & {
  seq: bigint;
  time: bigint;
  v: number;
  stream: string;
  meta?: Record<string, unknown>;
};
