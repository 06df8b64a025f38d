import { Subject } from 'rxjs';
import type { Envelope } from '../domain/envelope';
import { EVENT_VERSION, streamOf, type WharfEvent } from '../domain/events';
import { MonotonicClock } from './clock';

export interface ReadRange {
  /** Events with seq strictly greater than this. */
  afterSeq?: bigint;
  /** Events with time >= sinceTime (nanoseconds). */
  sinceTime?: bigint;
  /** Events with time <= untilTime (nanoseconds). */
  untilTime?: bigint;
  limit?: number;
}

/**
 * The journal: an append-only, totally ordered log of facts. Appends are group-committed:
 * every append that arrives while a write is in flight goes into the next single durable
 * batch, so concurrent operations share one fsync.
 */
export abstract class Journal {
  /** Every committed batch, in order, synchronously after it is durable (projections hang here). */
  readonly committed$ = new Subject<Envelope[]>();
  protected seq = 0n;
  private readonly clock: MonotonicClock;
  private pending: { events: WharfEvent[]; meta?: Record<string, unknown>; resolve: (e: Envelope[]) => void; reject: (e: unknown) => void }[] = [];
  private writing = false;
  private closed = false;

  constructor(clock = new MonotonicClock()) {
    this.clock = clock;
  }

  get lastSeq(): bigint {
    return this.seq;
  }

  /** Open storage, recover seq and the last timestamp. */
  async open(): Promise<void> {
    const last = await this.loadLast();
    if (last) {
      this.seq = last.seq;
      this.clock.observe(last.time);
    }
  }

  append(events: WharfEvent[], meta?: Record<string, unknown>): Promise<Envelope[]> {
    if (this.closed) return Promise.reject(new Error('journal is closed'));
    if (events.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.pending.push({ events, meta, resolve, reject });
      if (!this.writing) void this.flush();
    });
  }

  /**
   * Several appends, each with its own meta, committed in one durable batch: after a crash
   * either all of them are in the journal or none is.
   */
  appendAll(groups: { events: WharfEvent[]; meta?: Record<string, unknown> }[]): Promise<Envelope[][]> {
    if (this.closed) return Promise.reject(new Error('journal is closed'));
    const done = groups.map((g) => new Promise<Envelope[]>((resolve, reject) => this.pending.push({ ...g, resolve, reject })));
    if (!this.writing) void this.flush();
    return Promise.all(done);
  }

  private async flush(): Promise<void> {
    this.writing = true;
    while (this.pending.length > 0) {
      const group = this.pending;
      this.pending = [];
      const startSeq = this.seq;
      const batches = group.map((g) =>
        g.events.map((e): Envelope => ({
          ...e,
          seq: ++this.seq,
          time: this.clock.now(),
          v: EVENT_VERSION[e.type],
          stream: streamOf(e),
          ...(g.meta ? { meta: g.meta } : {}),
        })),
      );
      const all = batches.flat();
      try {
        await this.persist(all);
      } catch (err) {
        this.seq = startSeq;
        for (const g of group) g.reject(err);
        continue;
      }
      this.committed$.next(all);
      group.forEach((g, i) => g.resolve(batches[i]));
    }
    this.writing = false;
  }

  async close(): Promise<void> {
    while (this.writing) await new Promise((r) => setTimeout(r, 5));
    this.closed = true;
    this.committed$.complete();
    await this.closeStorage();
  }

  /** Events in log order within a range. */
  abstract read(range?: ReadRange): AsyncIterable<Envelope>;
  protected abstract persist(events: Envelope[]): Promise<void>;
  protected abstract loadLast(): Promise<Envelope | undefined>;
  protected abstract closeStorage(): Promise<void>;
}
